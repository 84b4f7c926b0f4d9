"""The web application's words in Thai (default) and English: one catalogue, looked up by key.

Messages from the core are already bilingual ("ไทย / English"); `pick` shows the half for the chosen
language."""

from __future__ import annotations

LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"

CATALOGUE: dict[str, tuple[str, str]] = {
    "app.name": ("ชุมชน", "Chumchon"),
    "app.tagline": ("ระบบเก็บข้อมูลภาคสนาม", "Field data collection"),
    "nav.home": ("หน้าหลัก", "Home"),
    "nav.users": ("ผู้ใช้", "Users"),
    "nav.audit": ("บันทึกการใช้งาน", "Audit log"),
    "nav.password": ("เปลี่ยนรหัสผ่าน", "Change password"),
    "nav.logout": ("ออกจากระบบ", "Sign out"),
    "nav.switch_language": ("English", "ภาษาไทย"),
    "login.title": ("เข้าสู่ระบบ", "Sign in"),
    "login.username": ("ชื่อผู้ใช้", "Username"),
    "login.password": ("รหัสผ่าน", "Password"),
    "login.submit": ("เข้าสู่ระบบ", "Sign in"),
    "login.signed_out": ("ออกจากระบบแล้ว", "You have signed out."),
    "login.expired": ("กรุณาเข้าสู่ระบบ", "Please sign in."),
    "password.title": ("เปลี่ยนรหัสผ่าน", "Change password"),
    "password.current": ("รหัสผ่านปัจจุบัน", "Current password"),
    "password.new": ("รหัสผ่านใหม่ (อย่างน้อย 8 ตัวอักษร)", "New password (at least 8 characters)"),
    "password.repeat": ("รหัสผ่านใหม่อีกครั้ง", "New password again"),
    "password.submit": ("บันทึกรหัสผ่าน", "Save password"),
    "password.changed": ("เปลี่ยนรหัสผ่านแล้ว", "Your password has been changed."),
    "home.title": ("โครงการและแบบฟอร์ม", "Projects and forms"),
    "home.no_projects": ("คุณยังไม่มีสิทธิ์ในโครงการใด", "You have no role in any project yet."),
    "home.no_forms": ("ยังไม่มีแบบฟอร์ม", "No forms yet."),
    "home.form": ("แบบฟอร์ม", "Form"),
    "home.state": ("สถานะ", "State"),
    "home.today": ("วันนี้", "Today"),
    "home.week": ("7 วันล่าสุด", "Last 7 days"),
    "home.total": ("ทั้งหมด", "Total"),
    "home.last": ("ส่งล่าสุด", "Last submission"),
    "home.publish_new": ("เผยแพร่แบบฟอร์มใหม่", "Publish a new form"),
    "state.open": ("เปิดรับข้อมูล", "Open"),
    "state.closed": ("ปิดรับข้อมูล", "Closed"),
    "form.versions": ("รุ่นของแบบฟอร์ม", "Versions"),
    "form.version": ("รุ่น", "Version"),
    "form.published_at": ("เผยแพร่เมื่อ", "Published"),
    "form.published_by": ("ผู้เผยแพร่", "Published by"),
    "form.warnings": ("คำเตือน", "Warnings"),
    "form.current": ("ใช้อยู่", "current"),
    "form.open_action": ("เปิดรับข้อมูล", "Open for submissions"),
    "form.close_action": ("ปิดรับข้อมูล", "Close for submissions"),
    "form.state_now": ("ตอนนี้", "Now"),
    "form.media": ("ไฟล์ประกอบแบบฟอร์ม", "Form media"),
    "form.media_name": ("ชื่อไฟล์", "File name"),
    "form.media_present": ("มีแล้ว", "present"),
    "form.media_missing": ("ยังไม่มี", "missing"),
    "form.media_upload": ("อัปโหลด", "Upload"),
    "form.media_none": ("แบบฟอร์มนี้ไม่ใช้ไฟล์ประกอบ", "This form uses no media files."),
    "form.downloads": ("ดาวน์โหลด", "Downloads"),
    "form.download_xlsform": ("ไฟล์ XLSForm", "XLSForm"),
    "form.download_xform": ("ไฟล์ XForm (XML)", "XForm (XML)"),
    "form.publish": ("เผยแพร่รุ่นใหม่", "Publish a new version"),
    "form.publish_help": (
        "อัปโหลดไฟล์ XLSForm (.xlsx .xls .csv .md) ถ้ามีข้อผิดพลาดจะไม่มีการเผยแพร่",
        "Upload an XLSForm (.xlsx .xls .csv .md). Nothing is published if it has an error.",
    ),
    "form.publish_file": ("ไฟล์ XLSForm", "XLSForm file"),
    "form.publish_submit": ("เผยแพร่", "Publish"),
    "form.published_ok": ("เผยแพร่แล้ว", "Published"),
    "form.publish_failed": ("ไม่ได้เผยแพร่ เพราะแบบฟอร์มมีข้อผิดพลาด", "Not published: the XLSForm has an error"),
    "form.no_file": ("กรุณาเลือกไฟล์", "Please choose a file."),
    "form.media_saved": ("บันทึกไฟล์แล้ว", "File saved"),
    "form.submissions": ("ข้อมูลที่ส่งเข้ามา", "Submissions"),
    "users.title": ("ผู้ใช้และสิทธิ์", "Users and roles"),
    "users.create": ("เพิ่มผู้ใช้", "Add a user"),
    "users.username": ("ชื่อผู้ใช้ (ภาษาอังกฤษ)", "Username"),
    "users.display_name": ("ชื่อที่แสดง", "Display name"),
    "users.role": ("บทบาท", "Role"),
    "users.project": ("โครงการ", "Project"),
    "users.password": ("รหัสผ่าน (ไม่ต้องใส่สำหรับพนักงานเก็บข้อมูล)", "Password (not needed for collectors)"),
    "users.created": ("เพิ่มผู้ใช้แล้ว", "User added"),
    "users.active": ("ใช้งาน", "Active"),
    "users.inactive": ("ระงับแล้ว", "Deactivated"),
    "users.deactivate": ("ระงับการใช้งาน", "Deactivate"),
    "users.reactivate": ("เปิดใช้งานอีกครั้ง", "Reactivate"),
    "users.reset_password": ("ตั้งรหัสผ่านใหม่", "Reset password"),
    "users.new_password": ("รหัสผ่านใหม่", "New password"),
    "users.grant": ("ให้สิทธิ์", "Grant role"),
    "users.revoke": ("ถอนสิทธิ์", "Revoke"),
    "users.roles": ("สิทธิ์", "Roles"),
    "users.all_projects": ("ทุกโครงการ", "All projects"),
    "users.sheet": ("ใบเริ่มงาน", "Onboarding sheet"),
    "users.sheets_all": ("พิมพ์ใบเริ่มงานของพนักงานเก็บข้อมูลทั้งหมด", "Print every collector's onboarding sheet"),
    "users.saved": ("บันทึกแล้ว", "Saved"),
    "users.password_reset_done": ("ตั้งรหัสผ่านใหม่แล้ว", "Password reset"),
    "users.actions": ("จัดการ", "Actions"),
    "role.admin": ("ผู้ดูแลระบบ", "Administrator"),
    "role.manager": ("ผู้จัดการโครงการ", "Project manager"),
    "role.supervisor": ("ผู้ตรวจสอบ", "Supervisor"),
    "role.collector": ("พนักงานเก็บข้อมูล", "Collector"),
    "role.viewer": ("ผู้ดูข้อมูล", "Viewer"),
    "sheet.title": ("ใบเริ่มงานเก็บข้อมูลด้วย ODK Collect", "Getting started with ODK Collect"),
    "sheet.name": ("ชื่อ", "Name"),
    "sheet.project": ("โครงการ", "Project"),
    "sheet.step1": (
        "ติดตั้งแอป ODK Collect จาก Google Play Store บนโทรศัพท์ Android",
        "Install ODK Collect from the Google Play Store on an Android phone.",
    ),
    "sheet.step2": (
        "เปิดแอป เลือก \u201cเพิ่มโครงการ\u201d แล้ว \u201cสแกนคิวอาร์โค้ด\u201d และสแกนรหัสด้านล่าง",
        "Open it, choose \u201cAdd project\u201d, then \u201cScan QR code\u201d, and scan the code below.",
    ),
    "sheet.step3": (
        "กด \u201cดาวน์โหลดแบบฟอร์ม\u201d กรอกข้อมูล แล้วกด \u201cส่ง\u201d เมื่อมีสัญญาณ (แอปส่งให้อัตโนมัติ)",
        "Tap \u201cDownload form\u201d, fill it in, and send when you have signal (it sends by itself).",
    ),
    "sheet.keep_secret": (
        "คิวอาร์โค้ดนี้ใช้แทนรหัสผ่าน อย่าให้ผู้อื่นถ่ายรูป หากสูญหายแจ้งผู้ดูแลระบบ",
        "This QR code works like a password: do not share it; if it is lost, tell an administrator.",
    ),
    "sheet.print": ("พิมพ์", "Print"),
    "sheet.no_collectors": ("ยังไม่มีพนักงานเก็บข้อมูล", "No collectors yet."),
    "audit.title": ("บันทึกการใช้งาน", "Audit log"),
    "audit.when": ("เวลา", "When"),
    "audit.who": ("ผู้ใช้", "Who"),
    "audit.action": ("การกระทำ", "Action"),
    "audit.target": ("เป้าหมาย", "Target"),
    "audit.address": ("ที่อยู่ IP", "Address"),
    "audit.details": ("รายละเอียด", "Details"),
    "audit.from": ("ตั้งแต่วันที่", "From"),
    "audit.to": ("ถึงวันที่", "To"),
    "audit.any": ("ทั้งหมด", "Any"),
    "audit.filter": ("กรอง", "Filter"),
    "audit.csv": ("ดาวน์โหลด CSV", "Download CSV"),
    "audit.none": ("ไม่พบรายการ", "Nothing found."),
    "audit.older": ("รายการก่อนหน้า", "Older"),
    "common.save": ("บันทึก", "Save"),
    "common.back": ("กลับ", "Back"),
    "common.error": ("เกิดข้อผิดพลาด", "Something went wrong"),
    "common.none": ("-", "-"),
    "error.csrf": (
        "คำขอนี้หมดอายุหรือไม่ได้มาจากหน้าของระบบ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
        "This request has expired or did not come from a Chumchon page. Reload the page and try again.",
    ),
    "error.title": ("ขออภัย", "Sorry"),
}


def normalise(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, lang: str) -> str:
    th, en = CATALOGUE.get(key, (key, key))
    return en if lang == "en" else th


def pick(message: str, lang: str) -> str:
    """The chosen language's half of a bilingual core message "ไทย / English" (whole text otherwise)."""
    if " / " not in message:
        return message
    th, _, en = message.partition(" / ")
    if not any("\u0e00" <= ch <= "\u0e7f" for ch in th):
        return message  # a slash inside an English-only text, not a bilingual pair
    return en if lang == "en" else th
