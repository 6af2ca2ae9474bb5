package server

// CSRFToken is the session's CSRF token, for the external tests that post as a signed-in
// browser without loading a page first (signing out).
var CSRFToken = csrfToken
