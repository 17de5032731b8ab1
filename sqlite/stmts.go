package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// runner runs a transaction's statements, prepared when possible.
type runner interface {
	exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// connStmts runs statements on the writer's connection, which the writer
// goroutine holds for the life of the database and alone uses: it begins
// and ends its transactions with statements of their own, so each query
// is prepared on the connection the first time it runs and used directly
// ever after, with none of the bookkeeping of a statement bound to a
// *sql.Tx.
type connStmts struct {
	conn  *sql.Conn
	n     *atomic.Int64 // statements run (store.Stats)
	ready map[string]*sql.Stmt
}

func (s *connStmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.n.Add(1)
	if st, ok := s.ready[query]; ok {
		return st, nil
	}
	st, err := s.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.ready[query] = st
	return st, nil
}

func (s *connStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (s *connStmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, query)
	if err != nil {
		// A *sql.Row cannot be made with an error; the connection's own
		// QueryRowContext reports it, preparing the query again.
		return s.conn.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *connStmts) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (s *connStmts) close() error {
	for _, st := range s.ready {
		st.Close()
	}
	return s.conn.Close()
}

// txStmts runs statements in a read transaction of the readers' pool.
type txStmts struct {
	tx    *sql.Tx
	stmts *stmts
}

func (t txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.stmts.execIn(ctx, t.tx, query, args...)
}

func (t txStmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.stmts.queryRowIn(ctx, t.tx, query, args...)
}

func (t txStmts) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.stmts.queryIn(ctx, t.tx, query, args...)
}

// stmts keeps each query of the readers' pool prepared, so SQLite parses
// it once rather than on every call (parsing was a tenth of the CPU of a
// busy server).
//
// A query can only be prepared on the *sql.DB while none of its
// connections is held by the caller, and a View's transaction holds one.
// So a query first runs unprepared and is noted, and prepare runs once the
// transaction has ended. database/sql then keeps the statement prepared
// on each connection it has run on.
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
