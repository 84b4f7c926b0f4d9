"""ตรวจสอบสิทธิผู้รับเบี้ยยังชีพประจำปี: the yearly check of each allowance recipient.

The officer picks the recipient from the `beneficiaries` entity list (made by welfare_registration and
downloaded to the phone as beneficiaries.csv), confirms they are alive and still eligible, checks the
address and the bank account, takes a photo; the answers update the recipient's entity.
"""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import FormDef, Row, calc, note, q

LIST = "beneficiaries"


def _from_list(prop: str) -> str:
    return f"instance('{LIST}')/root/item[name=${{beneficiary}}]/{prop}"


def build() -> FormDef:
    survey: list[Row] = [
        *common.metadata(),
        *common.privacy_notice(
            (
                "ตรวจสอบการมีชีวิตและสิทธิรับเบี้ยยังชีพประจำปี ตามระเบียบกระทรวงมหาดไทย",
                "for the yearly check that an allowance recipient is alive and still eligible, under Ministry of Interior regulations",
            )
        ),
        q(
            f"select_one_from_file {LIST}.csv",
            "beneficiary",
            ("ผู้รับเบี้ยยังชีพ", "Allowance recipient"),
            hint=("พิมพ์ชื่อเพื่อค้นหา", "Type part of the name to search"),
            required=True,
            appearance="autocomplete",
        ),
        calc("prev_house_no", _from_list("house_no")),
        calc("prev_village", _from_list("village")),
        calc("prev_phone", _from_list("phone")),
        calc("prev_checked_year", _from_list("checked_year")),
        note(
            "previous_note",
            (
                "บ้านเลขที่ ${prev_house_no} โทร ${prev_phone} ตรวจสอบล่าสุดปี ${prev_checked_year}",
                "House ${prev_house_no}, phone ${prev_phone}, last checked in ${prev_checked_year}",
            ),
        ),
        q(
            "integer",
            "checked_year",
            ("ปีงบประมาณที่ตรวจสอบ (พ.ศ.)", "Fiscal year checked (Buddhist Era)"),
            constraint=". >= 2560 and . <= 2600",
            message=("ปีงบประมาณต้องเป็นปี พ.ศ. เช่น 2570", "Enter a Buddhist-Era year such as 2570"),
            required=True,
            save_to="checked_year",
        ),
        q(
            "select_one yes_no",
            "alive",
            ("ผู้รับเบี้ยยังมีชีวิตอยู่", "The recipient is alive"),
            required=True,
            save_to="alive",
        ),
        q(
            "select_one yes_no",
            "still_eligible",
            ("ยังมีคุณสมบัติรับเบี้ย", "Still eligible for the allowance"),
            hint=(
                "เช่น ไม่ได้รับบำนาญหรือสวัสดิการซ้ำซ้อน ยังมีภูมิลำเนาในพื้นที่",
                "E.g. no pension or overlapping benefit, still resident in the area",
            ),
            required=True,
            relevant="${alive} = 'yes'",
        ),
        calc("eligible", "if(${alive} = 'yes', ${still_eligible}, 'no')") | {"save_to": "eligible"},
        q(
            "select_one yes_no",
            "same_address",
            ("ยังอยู่ที่อยู่เดิม", "Still at the same address"),
            required=True,
            relevant="${alive} = 'yes'",
        ),
        q(
            "text",
            "new_house_no",
            ("บ้านเลขที่ใหม่", "New house number"),
            required=True,
            relevant="${same_address} = 'no'",
        ),
        calc("house_no", "if(${same_address} = 'no', ${new_house_no}, ${prev_house_no})") | {"save_to": "house_no"},
        common.phone("new_phone"),
        calc("phone", "if(${new_phone} != '', ${new_phone}, ${prev_phone})") | {"save_to": "phone"},
        q(
            "select_one yes_no",
            "bank_changed",
            ("เปลี่ยนบัญชีธนาคารที่รับเบี้ย", "The bank account for the allowance changed"),
            required=True,
            relevant="${alive} = 'yes'",
            save_to="bank_changed",
        ),
        q(
            "text",
            "new_bank_account_no",
            ("เลขที่บัญชีใหม่", "New account number"),
            required=True,
            relevant="${bank_changed} = 'yes'",
            appearance="numbers",
            sensitive=True,
        ),
        common.photo(
            "photo_recipient",
            ("ภาพถ่ายผู้รับเบี้ย ณ วันตรวจสอบ", "Photo of the recipient on the day of the check"),
            relevant="${alive} = 'yes'",
        ),
        q("text", "officer_name", ("ชื่อเจ้าหน้าที่ผู้ตรวจสอบ", "Checking officer"), required=True),
        common.today_default("check_date", ("วันที่ตรวจสอบ", "Date of the check")),
        *common.end_main(),
    ]
    return FormDef(
        form_id="welfare_verification",
        title="ตรวจสอบสิทธิผู้รับเบี้ยยังชีพประจำปี",
        instance_name="concat('ตรวจสอบ ', ${beneficiary}, ' ', ${checked_year})",
        survey=survey,
        choices=list(common.COMMON_CHOICES),
        version="2026120201",
        entities=[{"list_name": LIST, "entity_id": "${beneficiary}", "update_if": "${consent} = 'yes'"}],
    )
