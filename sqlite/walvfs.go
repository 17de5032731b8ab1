package sqlite

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// walVFS names the VFS the writer's connection opens the database with.
// It is SQLite's unix VFS except for the WAL file, where a frame's
// 24-byte header and its page, which SQLite writes with two pwrite calls
// one after the other, go to the file in one. A commit writes a frame for
// every page it changed, and on this kind of machine a system call costs
// more than copying a page, so the writer, which every write request
// waits for, spends less of its time in the kernel. What reaches the file,
// and when, is unchanged: the header is held only until the very next call
// on the file, which is the write of its page; any other call writes it
// first.
const walVFS = "kassa-wal"

// The C-level signatures of the unix VFS's methods that walVFS wraps.
type (
	xOpenFunc        func(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32
	xCloseFunc       func(tls *libc.TLS, pFile uintptr) int32
	xReadWriteFunc   func(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32
	xTruncateFunc    func(tls *libc.TLS, pFile uintptr, size int64) int32
	xSyncFunc        func(tls *libc.TLS, pFile uintptr, flags int32) int32
	xFileSizeFunc    func(tls *libc.TLS, pFile, pSize uintptr) int32
	xFileControlFunc func(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32
)

// cfunc turns a C function pointer into the Go function it is in this
// translation of SQLite; setCFunc stores f as one.
func cfunc[F any](p uintptr) F { return *(*F)(unsafe.Pointer(&p)) }

func setCFunc[F any](p *uintptr, f F) { *(*F)(unsafe.Pointer(p)) = f }

// at is the C memory at address p: SQLite's structs and buffers live
// outside Go's heap, and are reached by address.
func at[T any](p uintptr) *T { return (*T)(*(*unsafe.Pointer)(unsafe.Pointer(&p))) }

// walFrameHeader is the size of a WAL frame's header.
const walFrameHeader = 24

// frameWriter is what walVFS keeps of an open WAL file: the frame header
// it holds back (in C memory, as the unix VFS writes from it), and where
// the file's last write ended.
type frameWriter struct {
	header  uintptr // walFrameHeader bytes
	off     int64   // the held header's offset
	held    bool
	lastEnd int64 // where the last call, a write, ended; -1 after any other call
}

var (
	registerOnce sync.Once
	registerErr  error

	// unixOpen is the unix VFS's xOpen; unixWAL the methods it gives a
	// WAL file (at unixWALAt), and walMethods (in C memory, as SQLite
	// holds it) those with the calls below in their place.
	unixOpen   uintptr
	methodsMu  sync.Mutex
	unixWALAt  uintptr
	unixWAL    sqlite3.Tsqlite3_io_methods
	walMethods uintptr

	filesMu sync.Mutex
	files   = map[uintptr]*frameWriter{}

	// combined counts the frames written with one call (the tests').
	combined atomic.Int64
)

// registerWALVFS registers walVFS with SQLite, once.
func registerWALVFS() error {
	registerOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		unix := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if unix == 0 {
			registerErr = fmt.Errorf("sqlite: no default VFS")
			return
		}
		name, err := libc.CString(walVFS)
		vfs := libc.Xmalloc(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
		walMethods = libc.Xmalloc(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
		if err != nil || vfs == 0 || walMethods == 0 {
			registerErr = fmt.Errorf("sqlite: no memory for VFS %s", walVFS)
			return
		}
		// SQLite keeps the VFS, its name and the methods for good.
		v := at[sqlite3.Tsqlite3_vfs](vfs)
		*v = *at[sqlite3.Tsqlite3_vfs](unix)
		v.FzName, v.FpNext = name, 0
		unixOpen = v.FxOpen
		setCFunc(&v.FxOpen, xOpenFunc(walOpen))
		if rc := sqlite3.Xsqlite3_vfs_register(tls, vfs, 0); rc != sqlite3.SQLITE_OK {
			registerErr = fmt.Errorf("sqlite: register VFS %s: code %d", walVFS, rc)
		}
	})
	return registerErr
}

// walOpen opens a file as the unix VFS does and, for a WAL file, puts
// the methods below in front of the unix ones.
func walOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	rc := cfunc[xOpenFunc](unixOpen)(tls, pVfs, zName, pFile, flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK || flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return rc
	}
	f := at[sqlite3.Tsqlite3_file](pFile)
	if f.FpMethods == 0 {
		return rc
	}
	methodsMu.Lock()
	if unixWALAt == 0 {
		unixWALAt, unixWAL = f.FpMethods, *at[sqlite3.Tsqlite3_io_methods](f.FpMethods)
		m := at[sqlite3.Tsqlite3_io_methods](walMethods)
		*m = unixWAL
		setCFunc(&m.FxClose, xCloseFunc(walClose))
		setCFunc(&m.FxRead, xReadWriteFunc(walRead))
		setCFunc(&m.FxWrite, xReadWriteFunc(walWrite))
		setCFunc(&m.FxTruncate, xTruncateFunc(walTruncate))
		setCFunc(&m.FxSync, xSyncFunc(walSync))
		setCFunc(&m.FxFileSize, xFileSizeFunc(walFileSize))
		setCFunc(&m.FxFileControl, xFileControlFunc(walFileControl))
	}
	same := f.FpMethods == unixWALAt
	methodsMu.Unlock()
	if !same {
		return rc // methods other than the first WAL file's: left alone
	}
	header := libc.Xmalloc(tls, walFrameHeader)
	if header == 0 {
		return rc // no memory to spare: the file is written as unix would
	}
	filesMu.Lock()
	files[pFile] = &frameWriter{header: header, lastEnd: -1}
	filesMu.Unlock()
	f.FpMethods = walMethods
	return rc
}

func fileOf(pFile uintptr) *frameWriter {
	filesMu.Lock()
	defer filesMu.Unlock()
	return files[pFile]
}

// flush writes a held header; every call but a write of its page makes
// it first.
func (w *frameWriter) flush(tls *libc.TLS, pFile uintptr) int32 {
	w.lastEnd = -1
	if !w.held {
		return sqlite3.SQLITE_OK
	}
	w.held = false
	return cfunc[xReadWriteFunc](unixWAL.FxWrite)(tls, pFile, w.header, walFrameHeader, w.off)
}

// walWrite holds back a frame header written right after the previous
// write ended, which is how SQLite writes frames one after the other,
// and writes it with the page that follows it. A header rewritten in
// place (SQLite reads the frame first) and every other write go through
// at once.
func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	w := fileOf(pFile)
	write := cfunc[xReadWriteFunc](unixWAL.FxWrite)
	if w.held && iOfst == w.off+walFrameHeader {
		w.held = false
		n := walFrameHeader + int(iAmt)
		buf := tls.Alloc(n)
		defer tls.Free(n)
		libc.Xmemcpy(tls, buf, w.header, walFrameHeader)
		libc.Xmemcpy(tls, buf+walFrameHeader, zBuf, uint64(iAmt))
		rc := write(tls, pFile, buf, int32(n), w.off)
		w.lastEnd = -1
		if rc == sqlite3.SQLITE_OK {
			w.lastEnd = iOfst + int64(iAmt)
			combined.Add(1)
		}
		return rc
	}
	lastEnd := w.lastEnd
	if rc := w.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	if iAmt == walFrameHeader && iOfst == lastEnd {
		libc.Xmemcpy(tls, w.header, zBuf, walFrameHeader)
		w.off, w.held = iOfst, true
		return sqlite3.SQLITE_OK
	}
	rc := write(tls, pFile, zBuf, iAmt, iOfst)
	if rc == sqlite3.SQLITE_OK {
		w.lastEnd = iOfst + int64(iAmt)
	}
	return rc
}

// walRead, walTruncate, walSync, walFileSize and walFileControl write a
// held header first, then do as the unix VFS does.

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xReadWriteFunc](unixWAL.FxRead)(tls, pFile, zBuf, iAmt, iOfst)
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xTruncateFunc](unixWAL.FxTruncate)(tls, pFile, size)
}

func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xSyncFunc](unixWAL.FxSync)(tls, pFile, flags)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xFileSizeFunc](unixWAL.FxFileSize)(tls, pFile, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := fileOf(pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cfunc[xFileControlFunc](unixWAL.FxFileControl)(tls, pFile, op, pArg)
}

// walClose writes a held header, then closes the file.
func walClose(tls *libc.TLS, pFile uintptr) int32 {
	rc := fileOf(pFile).flush(tls, pFile)
	filesMu.Lock()
	w := files[pFile]
	delete(files, pFile)
	filesMu.Unlock()
	libc.Xfree(tls, w.header)
	if crc := cfunc[xCloseFunc](unixWAL.FxClose)(tls, pFile); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	return rc
}
