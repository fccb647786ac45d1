"""A production deployment refuses to start while a demo account or the demo password is left.

Demo accounts are flagged when `cityloop demo` creates them; besides the flag, every account
whose username is a demo username has its hash checked against the demo password, so an
account made by hand with that password is caught too (the policy refuses it elsewhere).
"""

from __future__ import annotations

from sqlalchemy import or_, select

from cityloop.services.context import CityLoop
from cityloop.services.passwords import verify
from cityloop.store.models import UserRow
from cityloop.store.security_models import UserSecurityRow


class DemoAccountsLeft(RuntimeError):
    def __init__(self, usernames: list[str]) -> None:
        self.usernames = usernames
        super().__init__(
            "生产环境不能使用演示账号或演示密码，请先停用或修改这些账号 "
            f"production refuses to start with demo accounts or the demo password: "
            f"{', '.join(usernames)} (cityloop user disable / reset-password)"
        )


def demo_accounts_left(ctx: CityLoop) -> list[str]:
    """Active accounts that are demo accounts or still have the demo password."""
    from cityloop.demo.load import DEMO_PASSWORD, DEMO_USERS

    names = [u for u, _, _ in DEMO_USERS]
    with ctx.uow() as uow:
        rows = uow.session.execute(
            select(UserRow, UserSecurityRow.demo_account)
            .outerjoin(UserSecurityRow, UserSecurityRow.user_id == UserRow.id)
            .where(
                UserRow.active.is_(True),
                or_(UserSecurityRow.demo_account.is_(True), UserRow.username.in_(names)),
            )
            .order_by(UserRow.username)
        ).all()
    return [
        user.username
        for user, flagged in rows
        if flagged or verify(user.password_hash, DEMO_PASSWORD)
    ]


def refuse_in_production(ctx: CityLoop) -> None:
    if ctx.settings.env != "production":
        return
    left = demo_accounts_left(ctx)
    if left:
        raise DemoAccountsLeft(left)
