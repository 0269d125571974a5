package httpapi

import (
	"bytes"
	"errors"

	"io"
	"mime"
	"net/http"

	"flowlens/models"
)

// guard bounds the GraphQL endpoint before anything is parsed or
// authenticated: only GET, POST and OPTIONS; a POST body must be JSON
// (`application/json`: form and multipart bodies are refused with 415), at
// most maxBody bytes long (413; 0 is no limit) and one operation object,
// not a batch array (400).
func guard(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeError(w, http.StatusMethodNotAllowed, models.Errorf(models.CodeMethodNotAllowed, "use POST with a JSON body, or GET for queries"))
			return
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, models.Errorf(models.CodeUnsupportedMediaType, "the request body must be application/json"))
			return
		}
		if maxBody > 0 && r.ContentLength > maxBody {
			tooLarge(w, maxBody)
			return
		}
		var src io.Reader = r.Body
		if maxBody > 0 {
			src = http.MaxBytesReader(w, r.Body, maxBody)
		}
		body, err := io.ReadAll(src)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w, maxBody)
			return
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, models.Errorf(models.CodeBadRequest, "the request body could not be read"))
			return
		}
		if isBatch(body) {
			writeError(w, http.StatusBadRequest, models.Errorf(models.CodeBatching, "send one operation per request; batches (JSON arrays) are not supported"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, max int64) {
	writeError(w, http.StatusRequestEntityTooLarge, models.Errorf(models.CodeRequestTooLarge, "the request body is larger than %d bytes", max))
}

// isBatch reports whether a JSON body is an array.
func isBatch(body []byte) bool {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			return true
		default:
			return false
		}
	}
	return false
}
