package server

import (
	"context"
	"net/http"
	"time"
)

// health answers 200 when the database answers a query, 503 otherwise: load balancers and
// `make run`'s start-up test rely on it.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var one int
	if err := h.db.NewSelect().ColumnExpr("1").Scan(ctx, &one); err != nil {
		h.log.Warn("health check: database does not answer", "err", err)
		h.writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "down"})
		return
	}
	h.writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": h.db.Dialect().Name().String()})
}
