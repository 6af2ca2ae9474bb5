package register

import (
	"bytes"
	"context"
	"html/template"
	"strings"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/mail"
	"github.com/assises/assises/mail/outbox"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
	"github.com/assises/assises/server/web"
)

// The emails of registration, in the person's language: the invitation (one personal link)
// and the news that a place opened for someone on the waiting list. Short sentences, the link
// on a line of its own: many read mail on a small phone.

var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; font-size: 17px; line-height: 1.5; color: #1b1b1f;">
<p>{{.Hello}}</p>
<p>{{.Intro}}</p>
{{if .Sessions}}<ul>{{range .Sessions}}<li><strong{{if .Title.Fallback}} lang="{{.Title.Lang}}"{{end}}>{{.Title.Text}}</strong><br>{{.When}}{{if .Place}} · {{.Place}}{{end}}<br>{{.Status}}</li>{{end}}</ul>{{end}}
<p><a href="{{.Link}}" style="display: inline-block; padding: 12px 20px; background: #0b5cad; color: #ffffff; border-radius: 8px; text-decoration: none; font-weight: bold;">{{.Button}}</a></p>
{{if .Code}}<p>{{.CodeLabel}} <strong style="font-size: 20px; letter-spacing: 0.08em;">{{.Code}}</strong></p>{{end}}
<p style="font-size: 14px; color: #4a4a55;">{{.Keep}}<br>{{.Link}}</p>
</body></html>`))

type mailSession struct {
	Title               record.Localised
	When, Place, Status string
}

type mailData struct {
	Lang, Subject, Hello, Intro, Button, Keep, Link string
	Code, CodeLabel                                 string // the personal code and what it is, when there is one
	Sessions                                        []mailSession
}

// compose writes both parts of a message from the same data.
func composeMail(d mailData) mail.Message {
	var text strings.Builder
	text.WriteString(d.Hello + "\n\n" + d.Intro + "\n\n")
	for _, s := range d.Sessions {
		text.WriteString("- " + s.Title.Text + "\n  " + s.When)
		if s.Place != "" {
			text.WriteString(" · " + s.Place)
		}
		text.WriteString("\n  " + s.Status + "\n")
	}
	if len(d.Sessions) > 0 {
		text.WriteString("\n")
	}
	text.WriteString(d.Button + " :\n" + d.Link + "\n\n")
	if d.Code != "" {
		text.WriteString(d.CodeLabel + " " + d.Code + "\n\n")
	}
	text.WriteString(d.Keep + "\n")
	var html bytes.Buffer
	if err := mailHTML.Execute(&html, d); err != nil {
		// The template is fixed and its data are strings: this cannot fail at run time.
		panic(err)
	}
	return mail.Message{Subject: d.Subject, Text: text.String(), HTML: html.String()}
}

// invitationMail is the email sent after a registration.
// code is the link's personal code, formatted, or "" when the link has none.
// Its texts and the titles (already looked up in lang) speak the person's language.
func (h *Pages) invitationMail(lang, name string, title record.Localised, link, code string, sessions []placedSession) mail.Message {
	t := func(k string) string { return h.Catalog.T(lang, k) }
	process := title.Text
	d := mailData{
		Lang: lang, Subject: t("reg.mail.subject") + " — " + process,
		Hello: t("reg.mail.hello") + " " + name + ",", Intro: t("reg.mail.intro") + " " + process + ".",
		Button: t("reg.mail.button"), Keep: t("reg.mail.keep"), Link: link,
	}
	if code != "" {
		d.Code, d.CodeLabel = code, t("reg.way.code.label")
	}
	for _, s := range sessions {
		status := t("reg.placed.confirmed")
		if s.Status != record.RegistrationConfirmed {
			status = t("reg.placed.waiting")
			if s.Reason != "" {
				status += " " + t("reg.why."+reasonKey(s.Reason))
			}
		}
		d.Sessions = append(d.Sessions, mailSession{Title: s.Title, When: s.When, Place: s.Place, Status: status})
	}
	return composeMail(d)
}

func reasonKey(reason string) string {
	if reason == "organisation" {
		return "organisation"
	}
	return "full"
}

// NotifyPromoted tells a person who was waiting that they now have a place, when they gave an
// email and email is configured. The message carries a fresh personal link, so that it is
// enough on its own. Failures are logged (without the address) and otherwise ignored: the
// place is theirs either way, and "my sessions" shows it.
func (h *Pages) NotifyPromoted(ctx context.Context, participantID int64, w *record.Workshop) {
	if !h.Mail.Enabled() {
		return
	}
	person, err := people.GetPerson(ctx, h.DB, participantID)
	if err != nil || person.Email == nil || *person.Email == "" {
		return
	}
	proc, err := record.GetProcess(ctx, h.DB, w.ProcessID)
	if err != nil {
		return
	}
	token, err := people.LinkToMySessions(ctx, h.DB, participantID, w.ProcessID, h.Now())
	if err != nil {
		h.Log.WarnContext(ctx, "promotion link not made", "participant", participantID, "err", err)
		return
	}
	lang := i18n.Normalise(person.Language)
	t := func(k string) string { return h.Catalog.T(lang, k) }
	msg := composeMail(mailData{
		Lang: lang, Subject: t("reg.mail.promoted.subject") + " — " + proc.Localise("title", lang).Text,
		Hello: t("reg.mail.hello") + " " + person.DisplayName + ",", Intro: t("reg.mail.promoted.intro"),
		Button: t("reg.mail.button"), Keep: t("reg.mail.keep"), Link: h.PublicURL.JoinPath("i", token).String(),
		Sessions: []mailSession{{Title: web.LocaliserFor(proc, lang).Workshop(w), When: web.FormatSession(lang, w.StartsAt, w.EndsAt), Place: w.Place, Status: t("reg.placed.confirmed")}},
	})
	msg.To = *person.Email
	if err := h.queueMail(ctx, participantID, msg); err != nil {
		h.Log.WarnContext(ctx, "promotion email not queued", "participant", participantID, "err", err)
	}
}

// queueMail puts a message in the outbox for participantID: the background sender hands it
// to the SMTP server, retrying as long as it takes; the page never waits on SMTP.
func (h *Pages) queueMail(ctx context.Context, participantID int64, msg mail.Message) error {
	if err := outbox.Enqueue(ctx, h.DB, h.Mail.From(), &participantID, msg, h.Now()); err != nil {
		return err
	}
	h.Outbox.Wake()
	return nil
}

// SendInvitation queues an email with a fresh personal link for a person (an organiser's "resend"). It does not
// revoke earlier links: the printed card the person may hold must keep working.
func (h *Pages) SendInvitation(ctx context.Context, participantID int64) error {
	person, err := people.GetPerson(ctx, h.DB, participantID)
	if err != nil {
		return err
	}
	if person.Email == nil || *person.Email == "" {
		return people.ErrNoEmail
	}
	p, err := people.GetParticipant(ctx, h.DB, participantID)
	if err != nil || p.ProcessID == nil {
		return people.ErrNoEmail
	}
	proc, err := record.GetProcess(ctx, h.DB, *p.ProcessID)
	if err != nil {
		return err
	}
	token, err := people.LinkToMySessions(ctx, h.DB, participantID, proc.ID, h.Now())
	if err != nil {
		return err
	}
	lang := i18n.Normalise(person.Language)
	sessions, err := h.placedSessions(ctx, proc, lang, participantID)
	if err != nil {
		return err
	}
	msg := h.invitationMail(lang, person.DisplayName, proc.Localise("title", lang), h.PublicURL.JoinPath("i", token).String(), "", sessions)
	msg.To = *person.Email
	return h.queueMail(ctx, participantID, msg)
}

// placedSessions lists a person's sessions (not cancelled) with their status.
func (h *Pages) placedSessions(ctx context.Context, proc *record.Process, lang string, participantID int64) ([]placedSession, error) {
	regs, err := people.ListParticipantRegistrations(ctx, h.DB, participantID)
	if err != nil {
		return nil, err
	}
	var out []placedSession
	for _, reg := range regs {
		w, err := record.GetWorkshop(ctx, h.DB, reg.WorkshopID)
		if err != nil {
			return nil, err
		}
		out = append(out, placedSession{Title: web.LocaliserFor(proc, lang).Workshop(w), When: web.FormatSession(lang, w.StartsAt, w.EndsAt), Place: w.Place, Status: reg.Status})
	}
	return out, nil
}
