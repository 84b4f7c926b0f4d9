// Thai for the PrimeVue components inside ODK Web Forms (the date picker's Today/Clear, month and day
// names …), used when the page is in Thai. Web Forms' own strings are rewritten by the build (see
// ../thai-strings.json and vite.config.js).

function pageIsThai() {
  return (document.documentElement.lang || 'th').toLowerCase().startsWith('th');
}

// PrimeVue's own texts and calendar (the date picker's Today/Clear, month and day names), in Thai.
export const primeVueThai = {
  today: 'วันนี้',
  clear: 'ล้าง',
  apply: 'ใช้',
  accept: 'ใช่',
  reject: 'ไม่',
  choose: 'เลือก',
  upload: 'อัปโหลด',
  cancel: 'ยกเลิก',
  emptyFilterMessage: 'ไม่พบรายการ',
  emptySearchMessage: 'ไม่พบรายการ',
  emptyMessage: 'ไม่มีตัวเลือก',
  searchMessage: 'พบ {0} รายการ',
  selectionMessage: 'เลือก {0} รายการ',
  emptySelectionMessage: 'ยังไม่ได้เลือก',
  dayNames: ['อาทิตย์', 'จันทร์', 'อังคาร', 'พุธ', 'พฤหัสบดี', 'ศุกร์', 'เสาร์'],
  dayNamesShort: ['อา.', 'จ.', 'อ.', 'พ.', 'พฤ.', 'ศ.', 'ส.'],
  dayNamesMin: ['อา', 'จ', 'อ', 'พ', 'พฤ', 'ศ', 'ส'],
  monthNames: ['มกราคม', 'กุมภาพันธ์', 'มีนาคม', 'เมษายน', 'พฤษภาคม', 'มิถุนายน', 'กรกฎาคม', 'สิงหาคม',
    'กันยายน', 'ตุลาคม', 'พฤศจิกายน', 'ธันวาคม'],
  monthNamesShort: ['ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.', 'พ.ค.', 'มิ.ย.', 'ก.ค.', 'ส.ค.', 'ก.ย.', 'ต.ค.', 'พ.ย.', 'ธ.ค.'],
  chooseYear: 'เลือกปี',
  chooseMonth: 'เลือกเดือน',
  chooseDate: 'เลือกวันที่',
  prevYear: 'ปีก่อน',
  nextYear: 'ปีถัดไป',
  prevMonth: 'เดือนก่อน',
  nextMonth: 'เดือนถัดไป',
  weekHeader: 'สัปดาห์',
  firstDayOfWeek: 0,
};

export function usePrimeVueThai(app) {
  const primevue = app.config.globalProperties.$primevue;
  if (pageIsThai() && primevue && primevue.config && primevue.config.locale) {
    Object.assign(primevue.config.locale, primeVueThai);
  }
}
