// js_on_load of the side panel (#section-panel): an outline entry opens its text, 返回提纲 shows the
// outline again (both on the server); 返回对话 scrolls back to the chat (phones: the panel is below it).
element.addEventListener('click', (e) => {
  const action = e.target.closest('[data-action]');
  if (action && action.dataset.action === 'chat') {
    window.planUI.backToChat();
    return;
  }
  if (action && action.dataset.action === 'outline') {
    trigger('click', {location: ''});
    return;
  }
  const item = e.target.closest('.outline-item');
  if (item) { trigger('click', {location: item.dataset.location}); }
});
