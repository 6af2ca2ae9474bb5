package server

import "net/http"

// routes lists every route of the product in one place.
func (h *handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.health)
	mux.HandleFunc("GET /readyz", h.ready)
	mux.Handle("GET /static/", h.assets)

	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /p/{slug}", h.register.ProcessPage)
	mux.HandleFunc("GET /i/{token}", h.signIn)
	mux.HandleFunc("POST /signout", h.signOut)

	mux.HandleFunc("GET /api/processes", h.apiListProcesses)
	mux.HandleFunc("GET /api/me", h.apiMe)

	mux.HandleFunc("GET /ws", h.websocket)

	// The live faces of a workshop, joining by code, and the texts their scripts use.
	mux.HandleFunc("GET /w/{id}", h.participantPage)
	mux.HandleFunc("GET /w/{id}/moderate", h.moderatorPage)
	mux.HandleFunc("GET /w/{id}/projector", h.projectorPage)
	mux.HandleFunc("GET /w/{id}/qr.svg", h.workshopQR)
	mux.HandleFunc("GET /join", h.joinPage)
	mux.HandleFunc("GET /j/{code}", h.joinCode)
	mux.HandleFunc("GET /i18n/{file}", h.i18nTexts)

	// The organiser's desk and its JSON API (organiser session; CSRF token on every change).
	mux.HandleFunc("GET /organise", h.organisePage)
	mux.HandleFunc("GET /api/organise/processes", h.organise.Processes)
	mux.HandleFunc("POST /api/organise/processes", h.organise.CreateProcess)
	mux.HandleFunc("GET /api/organise/processes/{id}", h.organise.Process)
	mux.HandleFunc("PUT /api/organise/processes/{id}", h.organise.UpdateProcess)
	mux.HandleFunc("GET /api/organise/processes/{id}/missing", h.organise.Missing)
	mux.HandleFunc("POST /api/organise/processes/{id}/themes", h.organise.CreateTheme)
	mux.HandleFunc("PUT /api/organise/themes/{id}", h.organise.UpdateTheme)
	mux.HandleFunc("POST /api/organise/processes/{id}/workshops", h.organise.CreateWorkshop)
	mux.HandleFunc("PUT /api/organise/workshops/{id}", h.organise.UpdateWorkshop)
	mux.HandleFunc("POST /api/organise/processes/{id}/people", h.organise.Invite)
	mux.HandleFunc("POST /api/organise/people/{id}/link", h.organise.NewLink)
	mux.HandleFunc("PUT /api/organise/workshops/{id}/moderators/{participant}", h.organise.Appoint)
	mux.HandleFunc("DELETE /api/organise/workshops/{id}/moderators/{participant}", h.organise.Appoint)

	// The notebook of recommendations: the organisers' editor and its API, the published
	// versions (public, no sign-in), their files and open data, the follow-up, the report.
	mux.HandleFunc("GET /organise/processes/{id}/notebook", h.notebooks.EditorPage)
	mux.HandleFunc("GET /organise/processes/{id}/notebook/preview", h.notebooks.Preview)
	mux.HandleFunc("GET /organise/processes/{id}/notebook/draft/{file}", h.notebooks.DraftFile)
	mux.HandleFunc("GET /organise/report", h.notebooks.Report)
	mux.HandleFunc("GET /api/organise/processes/{id}/notebook", h.notebooks.Draft)
	mux.HandleFunc("PUT /api/organise/processes/{id}/notebook/items/{contribution}", h.notebooks.Item)
	mux.HandleFunc("PUT /api/organise/processes/{id}/notebook/themes/{theme}", h.notebooks.Theme)
	mux.HandleFunc("PUT /api/organise/processes/{id}/notebook/themes/{theme}/order", h.notebooks.Order)
	mux.HandleFunc("PUT /api/organise/processes/{id}/notebook/translations/{lang}/process", h.notebooks.Translate)
	mux.HandleFunc("PUT /api/organise/processes/{id}/notebook/translations/{lang}/{subject}/{sid}", h.notebooks.Translate)
	mux.HandleFunc("POST /api/organise/processes/{id}/notebook/versions", h.notebooks.Publish)
	mux.HandleFunc("GET /notebooks/schema.json", h.notebooks.Schema)
	mux.HandleFunc("GET /notebooks/{slug}", h.notebooks.VersionPage)
	mux.HandleFunc("GET /notebooks/{slug}/v/{n}", h.notebooks.VersionPage)
	mux.HandleFunc("GET /notebooks/{slug}/v/{n}/{file}", h.notebooks.File)
	mux.HandleFunc("GET /notebooks/{slug}/v/{n}/{lang}/{file}", h.notebooks.File)
	mux.HandleFunc("GET /notebooks/{slug}/follow-up", h.notebooks.FollowUpPage)
	mux.HandleFunc("GET /notebooks/{slug}/follow-up.json", h.notebooks.FollowUpJSON)
	mux.HandleFunc("GET /follow-up/processes/{id}", h.notebooks.FollowUpDesk)
	mux.HandleFunc("POST /api/follow-up/processes/{id}/recommendations/{contribution}", h.notebooks.RecordFollowUp)

	// Registration from the public page, "my sessions", the door of a session, and the
	// organiser's cards, attendance export, registrations and erasure.
	mux.HandleFunc("POST /p/{slug}/register", h.register.Register)
	mux.HandleFunc("GET /p/{slug}/registered", h.register.Registered)
	mux.HandleFunc("GET /code", h.register.CodeForm)
	mux.HandleFunc("POST /code", h.register.CodeSignIn)
	mux.HandleFunc("GET /me", h.register.MySessions)
	mux.HandleFunc("POST /me/cancel", h.register.Cancel)
	mux.HandleFunc("GET /w/{id}/door", h.door.Page)
	mux.HandleFunc("POST /w/{id}/door/checkin", h.door.CheckIn)
	mux.HandleFunc("POST /w/{id}/door/scan", h.door.Scan)
	mux.HandleFunc("POST /w/{id}/door/walkin", h.door.WalkIn)
	mux.HandleFunc("GET /w/{id}/door/walkin/{participant}", h.door.WalkInPage)
	mux.HandleFunc("GET /organise/processes/{id}/cards", h.cardsPageHandler)
	mux.HandleFunc("GET /organise/workshops/{id}/attendance.csv", h.attendanceCSV)
	mux.HandleFunc("POST /api/organise/workshops/{id}/registrations/{participant}/cancel", h.organise.Cancel)
	mux.HandleFunc("POST /api/organise/workshops/{id}/registrations/{participant}/checkin", h.organise.CheckIn)
	mux.HandleFunc("POST /api/organise/people/{id}/send", h.organise.SendInvitation)
	mux.HandleFunc("POST /api/organise/people/{id}/erase", h.organise.ErasePerson)
	mux.HandleFunc("POST /api/organise/processes/{id}/erase", h.organise.EraseProcess)

	// Joining from any phone with the session's code, let in by the welcome desk.
	mux.HandleFunc("POST /join/request", h.door.JoinRequest)
	mux.HandleFunc("GET /join/wait", h.door.JoinWait)
	mux.HandleFunc("GET /join/status", h.door.JoinStatus)
	mux.HandleFunc("POST /w/{id}/door/joins/{req}", h.door.Join)
	// Joining an open session under a pseudonym, no registration (server/door/openjoin.go).
	mux.HandleFunc("POST /join/open", h.door.JoinOpen)

	mux.HandleFunc("/", h.site.NotFound)
	return mux
}
