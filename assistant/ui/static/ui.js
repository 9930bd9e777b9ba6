// The page script, inlined in <head> by assistant/ui (head()): window.planUI.
// - Localisation: labels Gradio hard-codes in English (not behind its i18n keys) become Chinese.
// - Copy: the chatbot's 复制 button puts the answer's clean text with its sources on the clipboard
//   (from the message's .copy-src, written by the server), not the raw Markdown.
// - 专栏1: a table where its columns fit, a card per row where they do not.
// - Scrolling: after an answer, the chat shows the START of the new answer; after a citation click the
//   panel shows the marked quote; 返回对话 goes back to the answer (phones: the panel is below the chat).
(() => {
  if (window.planUI) { return; }
  document.documentElement.lang = 'zh-CN';

  const ZH = {
    'More tabs': '更多标签页',
    'chatbot conversation': '对话记录',
    'Gradio footer navigation': '页脚导航',
    'Empty value': '空',
    'No value': '无',
    'Clear': '清除',
    'Fullscreen': '全屏',
    'Exit fullscreen': '退出全屏',
    'Copy message': '复制回答',
    'Copied message': '已复制',
    'Copy': '复制',
    'Copied': '已复制',
    'Like': '有帮助',
    'Liked': '已标记有帮助',
    'Dislike': '没有帮助',
    'Disliked': '已标记没有帮助',
    'Retry': '重新生成',
    'Undo': '撤销',
    'Stop': '停止',
    'Submit': '提交',
    'Warning': '提示',
    'Error': '错误',
    'Info': '提示',
    'Success': '完成',
    'Close': '关闭',
    'close': '关闭',
    'Loading': '加载中',
    'Loading...': '加载中……',
    'Download': '下载',
    'Remove': '移除',
    'Share': '分享',
    'Settings': '设置',
    'Use via API': '通过 API 使用',
    'Built with Gradio': '使用 Gradio 构建',
    'Open cell menu': '打开单元格菜单',
    'Copy table data': '复制表格数据',
    'Copied to clipboard': '已复制到剪贴板',
    'Scroll down': '向下滚动',
    'Scroll to bottom': '滚动到底部',
    'Textbox': '文本框',
    'Dropdown': '下拉菜单',
    'logo': '标志',
    'Stop Recording': '停止录制',
  };
  // a message's accessible name is its raw content: the answer only, without the sources' HTML
  const clean = (text) => text.replace(/<details[\s\S]*$/, '').replace(/<[^>]*>/g, '')
    .replace(/\\(?=[\\`*_~[\]<>])/g, '').replace(/\s+/g, ' ').trim();
  const PREFIXES = [
    [/^user's message: /, '用户消息：'],
    [/^bot's message: /, '助手回答：'],
  ];
  // the status tracker's own words, shown when a request waits (a loaded server): "queue: 2/3 |"
  const STATUS = [
    [/\bqueue:\s*/g, '排队：'],
    [/\bprocessing\s*\|?/g, '处理中 |'],
    [/\bIn queue: (\d+) of (\d+)/g, '排队第 $1 位，共 $2 位'],
  ];
  const ATTRS = ['aria-label', 'title', 'placeholder', 'alt', 'aria-roledescription'];

  function translate(value) {
    if (!value) { return null; }
    const key = value.trim();
    if (Object.prototype.hasOwnProperty.call(ZH, key)) { return ZH[key]; }
    for (const [re, zh] of PREFIXES) {
      if (re.test(value)) { return zh + clean(value.replace(re, '')); }
    }
    let out = key;
    for (const [re, zh] of STATUS) { out = out.replace(re, zh); }
    return out !== key ? out : null;
  }

  function fixElement(el) {
    for (const attr of ATTRS) {
      const zh = translate(el.getAttribute(attr));
      if (zh !== null) { el.setAttribute(attr, zh); }
    }
  }

  function fixText(node) {
    const zh = translate(node.nodeValue);
    if (zh !== null) { node.nodeValue = node.nodeValue.replace(node.nodeValue.trim(), zh); }
  }

  function fixTree(root) {
    if (root.nodeType === Node.TEXT_NODE) { fixText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) { return; }
    fixElement(root);
    root.querySelectorAll('*').forEach(fixElement);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) { fixText(n); }
  }

  // ------------------------------------------------------------------ 专栏1: a table, or cards
  // 专栏1 keeps its eight columns where they fit and is a card per row where they do not (a phone; the
  // side panel beside the chat), so no value needs sideways scrolling (CSS: .ind-table.cards). A CSS
  // container query would say this, but Gradio drops @container rules from custom CSS.
  const CARDS_BELOW = 640;
  const fitTables = (box) => box.querySelectorAll(':scope > table.ind-table').forEach(
    (t) => t.classList.toggle('cards', box.clientWidth < CARDS_BELOW));
  const resized = new ResizeObserver((entries) => entries.forEach((e) => fitTables(e.target)));
  function watchTables(root) {
    if (root.nodeType !== Node.ELEMENT_NODE) { return; }
    const tables = [...root.querySelectorAll('table.ind-table')];
    if (root.matches('table.ind-table')) { tables.push(root); }
    for (const t of tables) {
      fitTables(t.parentElement);
      resized.observe(t.parentElement);  // once per box (observing it again changes nothing)
    }
  }

  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') { fixElement(r.target); }
      else if (r.type === 'characterData') { fixText(r.target); }
      else { r.addedNodes.forEach((n) => { fixTree(n); watchTables(n); }); }
    }
  });
  function start() {
    fixTree(document.body);
    watchTables(document.body);
    observer.observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRS,
    });
  }
  if (document.body) { start(); } else { document.addEventListener('DOMContentLoaded', start); }

  // ------------------------------------------------------------------ the chat

  function bots() {
    return [...document.querySelectorAll('#chatbot .message.bot, #chatbot [data-testid="bot"]')];
  }

  function scroller(el) {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (/(auto|scroll)/.test(style.overflowY) && p.scrollHeight > p.clientHeight + 1) { return p; }
      if (p.id === 'chatbot') { break; }
    }
    return null;
  }

  function copyText(button) {
    // the buttons row follows its message's row
    const buttons = button.closest('.message-buttons');
    let row = buttons ? buttons.previousElementSibling : null;
    while (row && !row.classList.contains('message-row')) { row = row.previousElementSibling; }
    const source = row && row.classList.contains('bot-row') ? row.querySelector('.copy-src') : null;
    return source ? source.getAttribute('title') : null;
  }

  async function writeClipboard(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
  }

  document.addEventListener('click', (e) => {
    const button = e.target.closest('#chatbot button');
    if (!button) { return; }
    const label = `${button.getAttribute('aria-label') || ''} ${button.getAttribute('title') || ''}`;
    if (!/复制回答|Copy message/.test(label)) { return; }
    const text = copyText(button);
    if (text === null) { return; }  // a question: Gradio copies its text as it is
    e.preventDefault();
    e.stopImmediatePropagation();
    window.planUI.lastCopy = text;
    writeClipboard(text);
    button.setAttribute('aria-label', '已复制');
    button.setAttribute('title', '已复制');
    setTimeout(() => {
      button.setAttribute('aria-label', '复制回答');
      button.setAttribute('title', '复制回答');
    }, 1500);
  }, true);

  function alignAnswer() {
    const all = bots();
    const last = all[all.length - 1];
    if (!last) { return; }
    const box = scroller(last);
    if (box) {
      const top = last.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop += top - 8;
    }
  }

  function scrollToAnswer() {
    // after Gradio has rendered the new messages (the Markdown renders a moment later: align again)
    requestAnimationFrame(() => {
      alignAnswer();
      const chat = document.getElementById('chatbot');
      const rect = chat.getBoundingClientRect();
      if (rect.top < 0 || rect.top > window.innerHeight * 0.6) { window.scrollBy({top: rect.top - 8}); }
      [60, 200, 500].forEach((ms) => setTimeout(alignAnswer, ms));
    });
  }

  function showMark(panelId) {
    requestAnimationFrame(() => {
      const panel = document.getElementById(panelId);
      const mark = panel && panel.querySelector('mark, .ind-hit');
      const box = panel && panel.querySelector('.plan-panel');
      if (!mark || !box) { return; }
      if (box.scrollHeight <= box.clientHeight + 1) {  // phones: the panel is as tall as its text
        mark.scrollIntoView({block: 'center'});
        return;
      }
      const b = box.getBoundingClientRect();
      if (b.top < 0 || b.bottom > window.innerHeight + 1) { box.scrollIntoView({block: 'start'}); }
      const m = mark.getBoundingClientRect();
      const top = box.scrollTop + m.top - box.getBoundingClientRect().top - box.clientHeight / 3;
      box.scrollTo({top: Math.max(0, top)});
    });
  }

  // a new text in the panel is read from its heading (phones: the page scrolls up to it, the panel
  // being as tall as its text there)
  function panelTop(panelId) {
    requestAnimationFrame(() => {
      const box = document.querySelector(`#${panelId} .plan-panel`);
      if (!box) { return; }
      box.scrollTo({top: 0});
      const top = box.getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight * 0.8) { box.scrollIntoView({block: 'start'}); }
    });
  }

  // The policy side panel sticks beside a long report: when it is in view, scroll only inside it, so the
  // reader keeps their place in the report; otherwise (phones: it is below the report) go to the quote.
  function policyMark() {
    requestAnimationFrame(() => {
      const mark = document.querySelector('#policy-panel mark');
      const box = mark ? mark.closest('.plan-panel') : null;
      if (!mark || !box) { return; }
      const b = box.getBoundingClientRect();
      const m = mark.getBoundingClientRect();
      if (b.top >= 0 && b.bottom <= window.innerHeight + 1) {
        const top = box.scrollTop + m.top - b.top - (box.clientHeight - m.height) / 2;
        box.scrollTo({top: Math.max(0, top)});
      } else {
        mark.scrollIntoView({block: 'center'});
      }
    });
  }

  function backToChat() {
    const chat = document.getElementById('chatbot');
    if (chat) {
      chat.scrollIntoView({block: 'start'});
      const target = document.querySelector('#question textarea');
      if (target) { target.focus({preventScroll: true}); }
    }
  }

  window.planUI = {scrollToAnswer, showMark, panelTop, policyMark, backToChat, lastCopy: null, translate};
})();
