"""Each role logs in through the real login form and lands on its own home page, on a
desktop and on a 390 px phone. Screenshots go to test-artifacts/e2e/."""

import pytest

from subjects.demo import DEMO_PASSWORD, DEMO_USERS, seed_users
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

# username -> the heading of the page the role lands on
LANDING = {
    "office": "工作台",
    "council": "待审议事项",
    "group": "我的工作组",
    "member": "会议与测评",
    "deputy": "我的问卷",
    "official": "我的评议",
}


@pytest.fixture
def demo_users(transactional_db):
    seed_users()
    return {spec.username: spec for spec in DEMO_USERS}


def log_in(page, base_url, login, password=DEMO_PASSWORD):
    page.goto(base_url + "/")
    page.get_by_label("用户名或手机号").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("username", list(LANDING))
@pytest.mark.parametrize("profile_name", ["desktop", "phone"])
def test_role_lands_on_its_home(
    open_page, live_server, demo_users, artifacts, username, profile_name
):
    profile = DESKTOP if profile_name == "desktop" else PHONE
    page, watch = open_page(profile)
    if username == "deputy":
        log_in(page, live_server.url, demo_users[username].phone)  # by phone number
    else:
        log_in(page, live_server.url, username)
    heading = page.locator("h1")
    heading.wait_for()
    assert heading.inner_text().strip() == LANDING[username]
    assert page.locator(".breadcrumb").inner_text().startswith("首页")
    # Nothing overflows a phone screen sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= profile["viewport"]["width"]
    page.screenshot(path=str(artifacts / f"home-{username}-{profile_name}.png"), full_page=True)
    nav_link = page.locator("#mainNav .nav-link.active")
    if profile_name == "phone":
        # The navigation collapses behind the toggler and opens on tap.
        assert not nav_link.is_visible()
        page.get_by_label("展开导航").tap()
        page.locator("#mainNav.show").wait_for()  # the collapse animation has finished
        page.screenshot(path=str(artifacts / f"home-{username}-{profile_name}-menu.png"))
    assert nav_link.inner_text().strip() == LANDING[username]
    assert watch.errors == []
    assert watch.foreign == []


def test_login_page_and_wrong_password(open_page, live_server, demo_users, artifacts):
    for name, profile in (("desktop", DESKTOP), ("phone", PHONE)):
        page, watch = open_page(profile)
        page.goto(live_server.url + "/")
        page.screenshot(path=str(artifacts / f"login-{name}.png"), full_page=True)
        log_in(page, live_server.url, "office", "not-the-password")
        alert = page.locator(".alert-danger")
        alert.wait_for()
        assert "密码不正确" in alert.inner_text()
        assert page.get_by_label("用户名或手机号").input_value() == "office"
        page.screenshot(path=str(artifacts / f"login-error-{name}.png"), full_page=True)
        assert watch.errors == [] and watch.foreign == []


def test_office_sees_the_audit_log_of_its_own_login(open_page, live_server, demo_users, artifacts):
    page, watch = open_page(DESKTOP)
    log_in(page, live_server.url, "office")
    page.get_by_role("link", name="审计日志", exact=True).click()
    page.locator("h1", has_text="审计日志").wait_for()
    assert "李晓燕 登录" in page.locator("table").inner_text()
    page.screenshot(path=str(artifacts / "audit-log-desktop.png"), full_page=True)
    # Logging out goes back to the login page.
    page.locator(".dropdown-toggle").click()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="登录").wait_for()
    assert watch.errors == [] and watch.foreign == []
