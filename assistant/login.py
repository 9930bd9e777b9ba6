"""The login page a browser sees without a session, and where it may be sent afterwards."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse


def safe_next(target: str | None) -> str:
    """Only same-site relative paths (no open redirect): ``//host``, ``/\\host``, ``///host`` and
    anything not starting with one ``/`` become ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\r\n\t"):
        return "/"
    return target


LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 规划纲要问答助手</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", sans-serif; background: #f5f6f8; margin: 0; }}
main {{ max-width: 24rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 12px;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .3rem; }}
input[type=password] {{ width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; }}
button {{ margin-top: 1rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer; }}
.error {{ color: #b42318; }}
.hint {{ color: #667085; font-size: .85rem; }}
</style></head>
<body><main>
<h1>规划纲要问答助手</h1>
<p class="error" role="alert">{message}</p>
<form method="post" action="{action}">
<label for="key">访问密钥</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">登录</button>
</form>
<p class="hint">密钥由管理员提供。登录后浏览器保存一个会话 Cookie（{hours} 小时内有效），访问 /logout 退出。</p>
</main></body></html>
"""


def login_page(
    status: int, message: str = "", next_path: str = "/", root_path: str = "", hours: float = 24
) -> HTMLResponse:
    page = LOGIN_PAGE.format(
        message=html.escape(message),
        action=html.escape(f"{root_path}/login"),
        next=html.escape(safe_next(next_path)),
        hours=f"{hours:g}",
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


__all__ = ["login_page", "safe_next"]
