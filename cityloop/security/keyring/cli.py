"""`cityloop keys …`: the field-encryption keys (字段加密密钥) — list, rotate, re-encrypt.

    cityloop keys list
    cityloop keys rotate [--algorithm sm4-gcm|aes-256-gcm] [--reencrypt]
    cityloop keys reencrypt [--batch 500]

Every command is audited as the command line's. Errors name what is wrong, in Chinese first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from cityloop.services.context import CityLoop

keys_app = typer.Typer(
    help="字段加密密钥 field-encryption keys: list, rotate, re-encrypt.", no_args_is_help=True
)
_WHAT = {
    "plaintext": "未加密 plaintext",
    "unreadable": "无法识别 unreadable",
    "unknown_key": "密钥环中没有的密钥 unknown key",
}


def _ctx(typer_ctx: typer.Context) -> CityLoop:
    """The context a test hands in (obj), else one built from the environment."""
    if typer_ctx.obj is not None:
        return typer_ctx.obj  # type: ignore[no-any-return]
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    return build_context(get_settings())


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _guarded(action: Any) -> Any:
    from cityloop.security.keyring.ring import CipherError

    try:
        return action()
    except CipherError as exc:
        _fail(f"密钥错误 key error: {exc}")


@keys_app.command("list")
def list_command(typer_ctx: typer.Context) -> None:
    """Each key: id, algorithm, created, active, how many values it still protects."""
    from cityloop.security.keyring.service import leftover, list_keys

    ctx = _ctx(typer_ctx)
    report = _guarded(lambda: list_keys(ctx))
    typer.echo(f"密钥环 keyring: k1 = 社区密钥 community key; 其余 others: {report.source}")
    for k in report.keys:
        mark = "当前 active" if k.active else "仅解密 decrypt only"
        made = k.created_at or "—"
        typer.echo(
            f"{k.id}\t{k.algorithm}\t创建 created {made}\t{mark}\t保护 protects {k.values} 个值"
        )
        for label, n in sorted(k.per_column.items()):
            typer.echo(f"    {label}: {n}")
    typer.echo("索引密钥 index key: 由社区密钥派生，不轮换 derived from k1, never rotated")
    for kind, n in leftover(report).items():
        typer.echo(f"注意 note: {n} 个值 values {_WHAT.get(kind, kind)}", err=True)
    for label, c in sorted(report.other.items()):
        typer.echo(f"    {label}: " + ", ".join(f"{k}={n}" for k, n in sorted(c.items())), err=True)


def _reencrypt(ctx: CityLoop, batch: int) -> None:
    from cityloop.security.keyring.service import ReencryptIncomplete, reencrypt

    def tick(label: str, n: int) -> None:
        if n:
            typer.echo(f"  {label}: 已重新加密 rewritten {n}")

    try:
        progress = _guarded(lambda: reencrypt(ctx, batch, tick))
    except ReencryptIncomplete as exc:
        p = exc.progress
        typer.echo(
            f"已重新加密 rewritten {p.rewritten} 个值; 以下无法解密 these do not open:", err=True
        )
        for label, pk, why in p.failures:
            typer.echo(f"  {label} 行 row {pk}: {why}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"重新加密完成 done: {progress.rewritten} 个值 values now under the active key")


@keys_app.command("rotate")
def rotate_command(
    typer_ctx: typer.Context,
    algorithm: Annotated[
        str | None,
        typer.Option(help="aes-256-gcm | sm4-gcm (default: CITYLOOP_FIELD_CIPHER)"),
    ] = None,
    reencrypt: Annotated[
        bool, typer.Option("--reencrypt", help="then rewrite every value under the new key")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=10000, help="rows per transaction")] = 500,
) -> None:
    """Make a new key and seal new values with it; old values stay readable."""
    from cityloop.security.keyring.algorithms import ALGORITHMS
    from cityloop.security.keyring.service import rotate

    if algorithm is not None and algorithm not in ALGORITHMS:
        _fail(f"--algorithm: 应为 {' 或 '.join(ALGORITHMS)}，收到 {algorithm!r}")
    ctx = _ctx(typer_ctx)
    done = _guarded(lambda: rotate(ctx, algorithm))
    if done.printed is not None:
        typer.echo(
            "密钥环来自环境变量 CITYLOOP_FIELD_KEYS，未写入文件。请把下面的新密钥环存入密钥管理，"
            "先让所有进程加载它，再重新加密 — the keyring is the environment's: store this "
            "document as CITYLOOP_FIELD_KEYS for every process, then run `cityloop keys "
            "reencrypt`.",
            err=True,
        )
        typer.echo(done.printed)
        return
    typer.echo(
        f"新密钥 new key {done.key_id} ({done.algorithm}) 已启用 is active; "
        f"{done.previous} 及更早的密钥仅用于解密 older keys now decrypt only"
    )
    if reencrypt:
        _reencrypt(ctx, batch)


@keys_app.command("reencrypt")
def reencrypt_command(
    typer_ctx: typer.Context,
    batch: Annotated[int, typer.Option(min=1, max=10000, help="rows per transaction")] = 500,
) -> None:
    """Rewrite every encrypted value under the active key (idempotent; rerun to resume)."""
    _reencrypt(_ctx(typer_ctx), batch)
