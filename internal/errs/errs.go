// Package errs holds the one error type that crosses from domain code to
// people: an HTTP status, a stable machine code, a translation key with its
// arguments and per-field problems. The wrapped cause is for logs only and is
// never shown to a user.
package errs

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
)

// Error is a user-safe error. Key and Fields' values are i18n keys.
type Error struct {
	Status int
	Code   string         // stable, English, for programs: "invalid", "not_found", …
	Key    string         // i18n key of the message
	Args   map[string]any // arguments for the message
	Fields map[string]FieldError
	Extra  map[string]any // added to the JSON error object as is (for example "allowed")
	cause  error
}

// FieldError is one field's problem: an i18n key and its arguments.
type FieldError struct {
	Key  string
	Args map[string]any
}

func (e *Error) Error() string {
	msg := e.Code + ": " + e.Key
	if len(e.Fields) > 0 {
		names := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			names = append(names, k)
		}
		sort.Strings(names)
		msg += fmt.Sprintf(" %v", names)
	}
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.cause }

// Wrap attaches a cause (for the log) and returns e.
func (e *Error) Wrap(cause error) *Error { e.cause = cause; return e }

// With adds a message argument.
func (e *Error) With(name string, value any) *Error {
	if e.Args == nil {
		e.Args = map[string]any{}
	}
	e.Args[name] = value
	return e
}

// WithExtra adds a member to the JSON error object.
func (e *Error) WithExtra(name string, value any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[name] = value
	return e
}

// Field records a problem with one input field; it may be called many times
// so that every problem is reported at once.
func (e *Error) Field(name, key string, args ...any) *Error {
	if e.Fields == nil {
		e.Fields = map[string]FieldError{}
	}
	e.Fields[name] = FieldError{Key: key, Args: pairs(args)}
	return e
}

// pairs turns "name", value, "name2", value2 into a map.
func pairs(args []any) map[string]any {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			m[k] = args[i+1]
		}
	}
	return m
}

func newErr(status int, code, key string) *Error {
	return &Error{Status: status, Code: code, Key: key}
}

// Invalid is a 400 for input that breaks a rule; add field problems with Field.
func Invalid(key string) *Error { return newErr(http.StatusBadRequest, "invalid", key) }

// Validation is an empty 422-free "invalid input" error that collects field
// problems; callers check Empty() before returning it.
func Validation() *Error { return newErr(http.StatusBadRequest, "invalid", "error.invalid_fields") }

// Empty reports whether a Validation error collected no field problem.
func (e *Error) Empty() bool { return len(e.Fields) == 0 }

// OrNil returns nil when no field problem was collected, so that
// `return v.OrNil()` reads naturally.
func (e *Error) OrNil() error {
	if e == nil || e.Empty() {
		return nil
	}
	return e
}

// NotFound is a 404. what names the kind of record ("child", "unit", …).
// A record outside the caller's scope answers the same, so its existence is
// not revealed.
func NotFound(what string) *Error {
	return newErr(http.StatusNotFound, "not_found", "error.not_found").With("what", what)
}

// NotFoundKey is a 404 with its own message, for lookups where "or you may
// not see it" would be wrong (a code that does not exist).
func NotFoundKey(key string) *Error { return newErr(http.StatusNotFound, "not_found", key) }

// Forbidden is a 403: the caller's role may not take this action.
func Forbidden() *Error { return newErr(http.StatusForbidden, "forbidden", "error.forbidden") }

// Unauthorized is a 401: no valid session, token or signature.
func Unauthorized(key string) *Error { return newErr(http.StatusUnauthorized, "unauthorized", key) }

// Conflict is a 409: the state of a record does not allow the change.
func Conflict(key string) *Error { return newErr(http.StatusConflict, "conflict", key) }

// TooLarge is a 413.
func TooLarge(limit int64) *Error {
	return newErr(http.StatusRequestEntityTooLarge, "too_large", "error.too_large").With("limit", limit)
}

// UnsupportedMedia is a 415.
func UnsupportedMedia(want string) *Error {
	return newErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "error.content_type").With("want", want)
}

// TooMany is a 429.
func TooMany(retryAfterSeconds int) *Error {
	return newErr(http.StatusTooManyRequests, "rate_limited", "error.rate_limited").With("seconds", retryAfterSeconds)
}

// Unavailable is a 503.
func Unavailable(key string) *Error {
	return newErr(http.StatusServiceUnavailable, "unavailable", key)
}

// Internal is a 500 that shows no detail.
func Internal(cause error) *Error {
	return newErr(http.StatusInternalServerError, "internal", "error.internal").Wrap(cause)
}

// As finds the *Error in err's chain; anything else becomes a 500 that
// shows no detail (the cause is kept for the log).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Is reports whether err carries an *Error with the given HTTP status.
func Is(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}
