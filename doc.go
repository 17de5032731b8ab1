// Package kassa holds what every other package shares: the application
// error type with its codes, and the injectable clock and ID generator.
//
// Domain rules live in the packages named for what they hold (money, order,
// session, risk); storage (store, sqlite) and transport (api) are adapters
// around them, and dependencies point inward, to this package.
package kassa
