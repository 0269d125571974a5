// Package model receives GraphQL types that gqlgen generates when no Go type
// in flowlens/models is bound to them; today every type is bound, so it is empty.
package model
