"""Micro-grid group chats as a theme database (微网格长微信群主题数据库)."""
