// Package notebook turns a process into its notebook of recommendations (the "cahier de
// recommandations" handed to elected officials, the "livre blanc" of the Missions Locales' days): it compiles
// what the sessions produced, applies the organisers' editorial layer, renders HTML,
// Markdown, PDF, CSV and JSON, publishes immutable numbered versions, keeps the follow-up
// committee's record, and gathers several processes into one report.
//
// # Flow
//
//	Compile(db, process, language) ─▶ Notebook (a plain value: the JSON snapshot and open data)
//	      ▲ editorial layer (notebook_items, notebook_theme_texts, notebook_translations;
//	        every change in notebook_edits)
//	Notebook ─▶ RenderHTML / RenderMarkdown / RenderPDF / RenderCSV / RenderJSON
//	Publish ─▶ notebook_versions: number n, its languages, the snapshot and every format of
//	           the main language, frozen; notebook_version_languages: the same in each other
//
// A notebook is compiled in one language: the organisers' texts in that language where the
// editorial team translated them, else in the main language with the field named in an
// Untranslated list, which every format marks (translate.go).
//
// Renderers read only the Notebook value, never the database, so a published version is
// exactly what its snapshot says whatever happens to contributions or people afterwards
// (DESIGN invariant 9). Compile reads personal data in one place only: the service-user status,
// and only through COUNT aggregates in SQL (see loadSupport), never person by person.
//
// # Ranking rule (RankingRule)
//
// Recommendations of a theme are ordered by these keys, each breaking the ties of the one
// before:
//
//  1. contested last: under the agree method, a recommendation with at least
//     MinContestedVotes votes that at least as many people disagreed with as agreed with
//     comes after every other;
//  2. breadth: more distinct organisations among its supporters first. A supporter without
//     an organisation counts as one organisation of their own (nobody speaks for them), so that
//     service users who come on their own are not folded into one voice;
//  3. more distinct break-out groups among its supporters first;
//  4. more supporters (people who voted for it) first: comparable across vote methods;
//  5. higher score first (net agreement under agree, dots under dots);
//  6. the earlier contribution first.
//
// Breadth comes before support on purpose: the notebook speaks for a sector, and a demand
// carried by five organisations weighs more with officials than one carried by many people of
// one organisation (with at most two people per organisation in a session, the two figures
// rarely disagree by much). Both figures are printed beside each recommendation, and an
// organiser may still reorder by hand: the computed rank stays visible ("moved").
//
// Findings are ordered by support (supporters, then score, then breadth), solution paths and
// implementation steps by supporters then score.
//
// # Flags
//
// A recommendation is flagged when its support is one-sided: professionals only or service
// users only (computed only when it has at least minFlagSupporters supporters, every
// supporter's personal data still exists, and at least minFlagSide people of each side voted
// in that phase, so that a flag never points at one person); one break-out group only (when it
// was posted to the whole room and several groups voted); one organisation only; contested.
package notebook
