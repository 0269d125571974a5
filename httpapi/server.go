package httpapi

import (
	"net/http"
	"time"
)

// NewServer returns the HTTP server of `serve` for handler h on addr, with
// timeouts against slow clients (Slowloris): headers within 5 s, the whole
// request within 15 s, the response within the request deadline plus 5 s
// (so a deadline's error is still written), idle keep-alive connections
// closed after 60 s, and headers of at most 64 KiB (larger ones get 431).
func NewServer(addr string, h http.Handler, requestTimeout time.Duration) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      requestTimeout + 5*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
