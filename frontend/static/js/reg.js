// The registration form: after a refused post, take the reader (and the screen reader) to the
// list of what to correct; while a post is on its way, keep a second tap from sending it twice.
const problem = document.getElementById('reg-problem');
if (problem) problem.focus();
const form = document.querySelector('form.regform');
if (form) {
  form.addEventListener('submit', () => {
    const btn = form.querySelector('button[type="submit"]');
    // Disabled after this tick, so the browser still sends the form.
    if (btn) setTimeout(() => (btn.disabled = true), 0);
  });
}
