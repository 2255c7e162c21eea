import ClickModel

/// One client connection of a worker: a slot in the worker's fixed table,
/// reused after the connection closes. Touched only by the owning worker.
///
/// Buffers beyond the worker's shared scratch memory are allocated only when a
/// request arrives in pieces (`pending`) or a client does not read its answers
/// fast enough (`unsent`): the usual request is read, answered and written
/// without either.
struct Connection {
    /// The worker, for C callbacks that get only this slot's address.
    var worker: Unmanaged<EdgeWorker>
    /// This slot's libevent event, in memory the worker owns.
    var event: OpaquePointer
    var index: Int32
    /// The socket, or -1 when the slot is free.
    var fd: Int32 = -1

    /// Bytes of a request head that has not arrived whole.
    var pending: UnsafeMutableRawPointer? = nil
    var pendingCount = 0
    var pendingCapacity = 0
    /// Where the search for the end of the pending head resumes.
    var scanner = HeadScanner()

    /// Answers the client has not taken yet.
    var unsent: UnsafeMutableRawPointer? = nil
    var unsentStart = 0
    var unsentCount = 0
    var unsentCapacity = 0

    /// Close once everything has been written.
    var closeAfterWrite = false
    /// Waiting for the socket to become writable; reading is paused meanwhile.
    var isWaitingToWrite = false
    /// Its event is added to the event base (and must be deleted before reuse).
    var isWatched = false

    /// Monotonic ms of the first byte of the current request head, 0 when none.
    var requestStartedAt: Int64 = 0
    /// Monotonic ms of the last read or write progress.
    var lastActivity: Int64 = 0

    /// The client: the peer, or whom a trusted proxy names (an IPv4 client
    /// of a dual-stack socket is kept as its IPv4 address).
    var address = IPAddress.none
    /// The peer is a trusted proxy (`--trusted-proxies`): its PROXY header
    /// and `X-Forwarded-For` name the client.
    var peerTrusted = false
    /// The country and device classes of the last client seen on this connection.
    var visitor = VisitorCache()
    /// A trusted peer's first bytes may be a PROXY header, not read yet.
    var awaitingProxyHeader = false

    init(worker: Unmanaged<EdgeWorker>, event: OpaquePointer, index: Int32) {
        self.worker = worker
        self.event = event
        self.index = index
    }

    var isOpen: Bool { fd >= 0 }
    var hasUnsent: Bool { unsentCount > 0 }
}
