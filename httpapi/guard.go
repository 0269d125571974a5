package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"flowlens/models"
)

// guard bounds the GraphQL endpoint before anything is parsed or
// authenticated: only GET, POST and OPTIONS; a POST body must be JSON
// (`application/json`: form and multipart bodies are refused with 415),
// without a Content-Encoding (415), at most maxBody bytes long (413; 0 is
// no limit), UTF-8 as JSON is (400: see encodingProblem) and one
// operation object, not a batch array (400).
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
		if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			writeError(w, http.StatusUnsupportedMediaType, models.Errorf(models.CodeUnsupportedEncoding, "Content-Encoding is not supported: send the JSON body uncompressed"))
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
		if problem := encodingProblem(body); problem != "" {
			writeError(w, http.StatusBadRequest, models.Errorf(models.CodeUnsupportedEncoding, "the request body %s: send JSON in UTF-8 (RFC 8259), without a byte-order mark, uncompressed", problem))
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

// encodingProblem says what keeps body from being JSON as RFC 8259 has
// it (UTF-8, no byte-order mark), or "": a compressed body (gzip, zlib,
// zstd), a byte-order mark, UTF-16 or UTF-32 (told by the zero bytes of
// the first ASCII character), invalid UTF-8.
func encodingProblem(body []byte) string {
	switch {
	case bytes.HasPrefix(body, []byte{0x1f, 0x8b}):
		return "is gzip-compressed"
	case bytes.HasPrefix(body, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "is zstd-compressed"
	case len(body) >= 2 && body[0] == 0x78 && (uint16(body[0])<<8|uint16(body[1]))%31 == 0:
		return "is zlib-compressed"
	case bytes.HasPrefix(body, []byte{0xef, 0xbb, 0xbf}):
		return "starts with a byte-order mark"
	case bytes.HasPrefix(body, []byte{0xff, 0xfe}), bytes.HasPrefix(body, []byte{0xfe, 0xff}),
		bytes.HasPrefix(body, []byte{0, 0, 0xfe, 0xff}):
		return "is UTF-16 or UTF-32 (it starts with a byte-order mark)"
	case len(body) >= 2 && (body[0] == 0 || body[1] == 0):
		return "is UTF-16 or UTF-32"
	case !utf8.Valid(body):
		return "is not valid UTF-8"
	}
	return ""
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
