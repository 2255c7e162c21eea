@testable import Edge
import Glibc
import Testing

@Suite("Checked system calls")
struct SystemCallTests {
    @Test func anInterruptedCallIsMadeAgain() throws {
        var calls = 0
        let result = try System.syscall("test") { () -> Int in
            calls += 1
            guard calls > 2 else {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == .processed(7))
        #expect(calls == 3)
    }

    @Test func notReadyIsNotAnError() throws {
        let (ours, theirs) = try socketPair()
        defer {
            close(ours)
            close(theirs)
        }
        var byte: UInt8 = 0
        #expect(try System.read(ours, &byte, 1) == .wouldBlock, "nothing sent yet")
        #expect(try System.send(theirs, [UInt8(42)], 1) == .processed(1))
        #expect(try System.read(ours, &byte, 1) == .processed(1))
        #expect(byte == 42)
    }

    @Test func theEndOfTheStreamIsAReadOfNothing() throws {
        let (ours, theirs) = try socketPair()
        defer { close(ours) }
        close(theirs)
        var byte: UInt8 = 0
        #expect(try System.read(ours, &byte, 1) == .processed(0))
        // Sending to a peer that is gone is EPIPE, thrown, and no SIGPIPE.
        System.ignoreSIGPIPE()
        #expect { _ = try System.send(ours, [UInt8(1)], 1) } throws: { ($0 as? SystemCallError)?.errno == EPIPE }
    }

    @Test func aRealErrorIsThrownWithTheCallAndItsErrno() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        var byte: UInt8 = 0
        // Reading the write end of a pipe: EBADF, on a descriptor that is ours.
        #expect {
            _ = try System.read(ends[1], &byte, 1)
        } throws: { error in
            guard let error = error as? SystemCallError else { return false }
            return error.errno == EBADF && "\(error)".hasPrefix("read failed")
        }
    }

    private func socketPair() throws -> (Int32, Int32) {
        var ends: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &ends) == 0)
        return (ends[0], ends[1])
    }
}
