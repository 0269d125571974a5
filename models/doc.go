// Package models holds flowlens's domain types: the entities read from the
// main application's tables, the analytics window and scope, the results of
// every analytics field, and the one error type with its codes. It imports
// no infrastructure.
package models
