#if canImport(Glibc)
import Glibc
#endif

/// A thread the process owns: started with a name (at most 15 bytes, as Linux
/// keeps them, shown by `top -H` and debuggers) and joined by its owner.
public final class OwnedThread: @unchecked Sendable {
    private var handle = pthread_t()
    public let name: String

    private final class Start {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new thread named `name`.
    public init(name: String, _ body: @escaping () -> Void) {
        precondition(name.utf8.count <= 15, "thread name \(name) is longer than 15 bytes")
        self.name = name
        let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        let result = pthread_create(&handle, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            OwnedThread.nameCurrentThread(start.name)
            start.body()
            return nil
        }, start)
        precondition(result == 0, "pthread_create failed with \(result)")
    }

    /// Waits for the thread to finish. Call once.
    public func join() {
        pthread_join(handle, nil)
    }

    /// Names the calling thread through procfs, which needs neither
    /// `_GNU_SOURCE` for `pthread_setname_np` nor the variadic `prctl`.
    private static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = name.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}
