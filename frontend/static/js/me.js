// "My sessions": giving a place back cannot be undone (someone waiting takes it), so ask first.
for (const form of document.querySelectorAll('form.cancelform')) {
  form.addEventListener('submit', (e) => {
    if (!window.confirm(form.dataset.confirm)) e.preventDefault();
  });
}
