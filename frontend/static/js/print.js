// The print button of the invitation cards page (no inline script: the CSP forbids it).
const btn = document.getElementById('print');
if (btn) btn.addEventListener('click', () => window.print());
