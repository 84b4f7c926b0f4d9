"""Submission XML as ODK Collect writes it for the kitchen_sink fixture form."""

from __future__ import annotations

import uuid

KITCHEN_SINK_VERSION = "2026112301"


def kitchen_sink_xml(
    instance_id: str | None = None,
    *,
    house_no: str = "99/1",
    photo: str = "รูปบ้าน.jpg",
    remarks: str = "บ้านไม้สองชั้น",
    deprecated_id: str | None = None,
    version: str = KITCHEN_SINK_VERSION,
) -> tuple[str, bytes]:
    iid = instance_id or f"uuid:{uuid.uuid4()}"
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    xml = f"""<?xml version='1.0' encoding='UTF-8' ?>
<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="kitchen_sink" version="{version}">
  <intro/>
  <household>
    <house_no>{house_no}</house_no>
    <village>2</village>
    <location>18.7883 98.9853 310.5 4.8</location>
    <house_photo>{photo}</house_photo>
  </household>
  <members>
    <full_name>นายสมชาย ใจดี</full_name>
    <citizen_id>1112034563562</citizen_id>
    <sex>male</sex>
    <age>45</age>
    <disabled>no</disabled>
  </members>
  <members>
    <full_name>นางสมหญิง ใจดี</full_name>
    <citizen_id>1234545678789</citizen_id>
    <sex>female</sex>
    <age>43</age>
    <disabled>yes</disabled>
  </members>
  <member_count>2</member_count>
  <has_well>yes</has_well>
  <savings>bank gold</savings>
  <rooms>3</rooms>
  <income>125000.50</income>
  <visit_date>2026-11-20</visit_date>
  <remarks>{remarks}</remarks>
  <meta>
    <instanceID>{iid}</instanceID>
    <instanceName>{house_no} 2026-11-20</instanceName>{deprecated}
  </meta>
</data>
"""
    return iid, xml.encode("utf-8")
