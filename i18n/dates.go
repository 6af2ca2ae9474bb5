package i18n

import (
	"fmt"
	"time"
)

// The one table of month and day names: pages, emails, cards and the notebook all write dates
// with it, so that they cannot drift apart. The functions print t in its own zone; callers
// convert to the zone of the venue first.

var monthNames = map[string][12]string{
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

var dayNames = map[string][7]string{
	"fr": {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
	"nl": {"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
	"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}

// FormatDate writes a day the way each language says it: "16 novembre 2023".
func FormatDate(lang string, t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), monthNames[Normalise(lang)][t.Month()-1], t.Year())
}

// FormatTime writes a time of day: "13h00" in French, "13.00" in Dutch, "13:00" in English.
func FormatTime(lang string, t time.Time) string {
	switch Normalise(lang) {
	case "en":
		return t.Format("15:04")
	case "nl":
		return t.Format("15.04")
	}
	return t.Format("15") + "h" + t.Format("04")
}

// FormatSession writes a session's day and hours: "jeudi 16 novembre 2023, 13h00–16h30".
func FormatSession(lang string, start, end time.Time) string {
	return fmt.Sprintf("%s %s, %s–%s", dayNames[Normalise(lang)][start.Weekday()], FormatDate(lang, start),
		FormatTime(lang, start), FormatTime(lang, end))
}
