package server

import (
	"github.com/assises/assises/server/web"

	"fmt"
	"time"
)

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

// formatSession writes a session's date and hours the way each language says them, in
// Brussels time: "jeudi 16 novembre 2023, 13h00–16h30".
func formatSession(lang string, start, end time.Time) string {
	s, e := start.In(web.Brussels), end.In(web.Brussels)
	months, ok := monthNames[lang]
	if !ok {
		lang, months = "fr", monthNames["fr"]
	}
	day := dayNames[lang][s.Weekday()]
	month := months[s.Month()-1]
	switch lang {
	case "en":
		return fmt.Sprintf("%s %d %s %d, %s–%s", day, s.Day(), month, s.Year(), s.Format("15:04"), e.Format("15:04"))
	case "nl":
		return fmt.Sprintf("%s %d %s %d, %s–%s", day, s.Day(), month, s.Year(), s.Format("15.04"), e.Format("15.04"))
	default:
		return fmt.Sprintf("%s %d %s %d, %sh%s–%sh%s", day, s.Day(), month, s.Year(),
			s.Format("15"), s.Format("04"), e.Format("15"), e.Format("04"))
	}
}
