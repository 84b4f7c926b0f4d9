// Mounts ODK Web Forms on a Chumchon page. Everything it needs comes from data-* attributes of
// #webform (no inline script: the page's Content-Security-Policy forbids it) and from this server.
import { createApp, h } from 'vue';
import { OdkWebForm, POST_SUBMIT__NEW_INSTANCE, webFormsPlugin } from '@getodk/web-forms';
import { usePrimeVueThai } from './thai.js';

const root = document.getElementById('webform');
const cfg = root.dataset;
const statusBox = document.getElementById('webform-status');
const reasonBox = document.getElementById('edit-reason');
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function say(text, kind) {
  statusBox.textContent = text;
  statusBox.className = kind;
  statusBox.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  statusBox.hidden = !text;
  if (text) statusBox.scrollIntoView({ block: 'nearest' });
}

// The engine asks for jr://file/NAME, jr://images/NAME …: Chumchon serves every form media file by its
// plain name (as the OpenRosa manifest does), so only the last segment matters.
function mediaName(url) {
  const path = typeof url === 'string' ? url : url.pathname || url.href;
  return decodeURIComponent(path.split('/').pop());
}

function fetchFormAttachment(url) {
  return fetch(cfg.mediaUrl + encodeURIComponent(mediaName(url)), { credentials: 'same-origin' });
}

async function send(payload, done) {
  if (payload.status !== 'ready') return; // the form shows its own violations
  const body = payload.data[0]; // FormData: xml_submission_file + one File per attachment
  if (reasonBox) {
    const reason = reasonBox.value.trim();
    if (!reason) {
      say(cfg.msgReason, 'error');
      reasonBox.focus();
      return;
    }
    body.append('reason', reason);
  }
  say(cfg.msgSending, 'notice');
  let resp;
  let answer = null;
  try {
    resp = await fetch(cfg.submitUrl, {
      method: 'POST',
      body,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
    });
    answer = await resp.json();
  } catch (err) {
    answer = null;
  }
  if (!resp || !resp.ok || !answer) {
    say((answer && answer.message) || cfg.msgFailed, 'error');
    return;
  }
  say(answer.message, 'notice');
  if (answer.once && cfg.once) {
    // A public link for one submission per browser (as Central's): remembered here and by a cookie.
    try { window.localStorage.setItem(cfg.once, '1'); } catch (err) { /* private mode: the cookie remains */ }
    root.dataset.sent = '1';
    if (app) app.unmount();
    root.hidden = true;
    return;
  }
  root.dataset.sent = String(Number(root.dataset.sent || '0') + 1);
  root.dataset.lastInstance = answer.instanceId || '';
  if (answer.next) {
    window.location.assign(answer.next);
  } else {
    done({ next: POST_SUBMIT__NEW_INSTANCE }); // a blank form for the next paper form
  }
}

let app = null;

function sentBefore() {
  try { return Boolean(cfg.once && window.localStorage.getItem(cfg.once)); } catch (err) { return false; }
}

async function start() {
  if (sentBefore()) {
    say(cfg.msgOnceDone, 'notice');
    root.hidden = true;
    root.dataset.mounted = 'sent-before';
    return;
  }
  const formXml = await (await fetch(cfg.formUrl, { credentials: 'same-origin' })).text();
  const props = { formXml, fetchFormAttachment, onSubmit: send };
  if (cfg.instanceUrl) {
    const names = JSON.parse(cfg.attachments || '[]');
    props.editInstance = {
      resolveInstance: async () => (await fetch(cfg.instanceUrl, { credentials: 'same-origin' })).text(),
      attachmentFileNames: names,
      resolveAttachment: (name) =>
        fetch(cfg.attachmentUrl + encodeURIComponent(name), { credentials: 'same-origin' }),
    };
  }
  app = createApp({ render: () => h(OdkWebForm, props) });
  app.use(webFormsPlugin);
  usePrimeVueThai(app);
  app.mount(root);
  root.dataset.mounted = '1';
}

start().catch((err) => {
  say(cfg.msgFailed + ' (' + err + ')', 'error');
});
