package store

// Test hooks for the external tests of this package (package store_test,
// which may import dbtest): the transaction helpers, so a test can run SQL
// of its own under the same per-transaction settings as the store's
// queries (Store.DB gives the database itself, to run SQL outside any
// transaction).
// Compiled only into tests.
var (
	MigrateThrough     = migrateThrough
	InAccount          = (*Store).inAccount
	AsUser             = (*Store).asUser
	InAccountStatement = (*Store).inAccountStatement
)
