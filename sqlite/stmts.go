package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmts keeps each query prepared, so SQLite parses it once rather than on
// every call (parsing was a tenth of the CPU of a busy server).
//
// A query can only be prepared on the *sql.DB while none of its
// connections is held by the caller: the writer has one connection, which
// its transaction holds. So a query first runs unprepared and is noted,
// and prepare runs once the transaction has ended. database/sql then keeps
// the statement prepared on each connection it has run on.
type stmts struct {
	db      *sql.DB
	n       *atomic.Int64 // statements run (store.Stats)
	mu      sync.Mutex
	ready   map[string]*sql.Stmt
	pending map[string]bool
}

func newStmts(db *sql.DB, n *atomic.Int64) *stmts {
	return &stmts{db: db, n: n, ready: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// in counts a statement and returns query bound to tx: the prepared statement if there is one,
// else nil, after noting the query for prepare.
func (s *stmts) in(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	s.n.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.ready[query]; ok {
		return tx.StmtContext(ctx, st)
	}
	s.pending[query] = true
	return nil
}

// prepare prepares the queries noted since the last call. It must be
// called with no transaction of s.db open on this goroutine. A query that
// fails to prepare simply keeps running unprepared.
func (s *stmts) prepare(ctx context.Context) {
	s.mu.Lock()
	pending := s.pending
	s.pending = map[string]bool{}
	s.mu.Unlock()
	for q := range pending {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		s.mu.Lock()
		if _, dup := s.ready[q]; dup {
			st.Close()
		} else {
			s.ready[q] = st
		}
		s.mu.Unlock()
	}
}

func (s *stmts) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.ready {
		st.Close()
	}
}

// execIn, queryRowIn and queryIn run query in tx, prepared when possible.

func (s *stmts) execIn(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.in(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

func (s *stmts) queryRowIn(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.in(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

func (s *stmts) queryIn(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.in(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}
