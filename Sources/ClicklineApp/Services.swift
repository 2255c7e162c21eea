import Aggregator
import Domain
import EventsOut
import Edge
import GeoIP
import Logging
import Mail
import Services
import Platform
import ServiceLifecycle
import Store

/// Runs a blocking call (a thread join, a read at start) on a thread of its
/// own, so no thread of Swift's shared executor waits on it.
func offload(_ name: String, _ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let thread = OwnedThread(name: name) {
            body()
            continuation.resume()
        }
        _ = thread  // the thread ends on its own; nothing joins it
    }
}

/// `offload` for a call that returns a value or throws.
func onOwnThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = OwnedThread(name: name) { continuation.resume(with: Result { try body() }) }
        _ = thread
    }
}

/// Probes the store every half second, for `/readyz` (`StoreHealth`).
struct StoreProbeService: Service {
    let store: SQLStore
    let timeout: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await store.probe(timeout: timeout)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}

/// The catalogue publisher as a service: polls until shutdown.
struct CataloguePublisherService: Service {
    let publisher: CataloguePublisher

    func run() async throws {
        publisher.start()
        try? await gracefulShutdown()
        await offload("stop-catalogue") { publisher.stop() }
    }
}

/// Wakes the catalogue publisher whenever the store says the catalogue
/// changed, listening again a second after the store stops telling (an
/// outage: the publisher's polling carries on meanwhile).
struct CatalogueListenerService: Service {
    let source: any CatalogueChangeSource
    let publisher: CataloguePublisher
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                do {
                    try await source.listenForCatalogueChanges { [publisher] in publisher.catalogueChanged() }
                } catch {
                    if Task.isCancelled { return }
                    if !failing { logger.warning("not told of catalogue changes; polling for them", metadata: ["error": "\(error)"]) }
                    failing = true
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// The aggregator and click writer as a service. On shutdown (which comes
/// after the edge stopped) it drains every ring and writes every click.
struct ClickPipelineService: Service {
    let aggregator: Aggregator

    func run() async throws {
        aggregator.start()
        try? await gracefulShutdown()
        await offload("stop-pipeline") { aggregator.stopAndDrain() }
    }
}

/// The edge as a service. On shutdown it stops accepting, finishes busy
/// connections and ends its threads, so nothing is pushed to a ring after.
struct EdgeService: Service {
    let edge: EdgeServer
    let onStarted: @Sendable () -> Void

    func run() async throws {
        try edge.start()
        onStarted()
        try? await gracefulShutdown()
        await offload("stop-edge") { edge.stop() }
    }
}

/// The outbox's delivery over SMTP as a service: sends what is due until
/// shutdown; a message being sent then is finished first (its session is
/// not cut), and whatever is still queued waits in the store for the next start.
struct OutboxDeliveryService: Service {
    let sender: OutboxSender

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await sender.run()
        }
    }
}

/// Webhook deliveries as a service: sends what is due until shutdown.
struct WebhookDeliveryService: Service {
    let sender: WebhookSender

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await sender.run()
        }
    }
}

/// Approves commission lines whose hold has ended, once a minute, so that
/// `commission.approved` goes out when it happens.
struct CommissionMaturityService: Service {
    let store: SQLStore
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await store.approveMaturedCommissions(now: Clocks.wallClockMilliseconds())
                } catch {
                    logger.warning("cannot approve matured commissions; trying again in a minute", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(60))
            }
        }
    }
}

/// Deletes events past their retention, with their deliveries and log, at
/// the start and every hour after, a few thousand to a transaction so that
/// no write waits long behind it.
struct EventRetentionService: Service {
    let store: SQLStore
    let days: Int
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let before = Clocks.wallClockMilliseconds() - Int64(days) * 86_400_000
                var deleted = 0
                do {
                    while !Task.isCancelled {
                        let batch = try await store.deleteEvents(before: before, limit: 2_000)
                        deleted += batch
                        if batch < 2_000 { break }
                    }
                    if deleted > 0 { logger.info("events past their retention deleted", metadata: ["events": "\(deleted)", "days": "\(days)"]) }
                } catch {
                    logger.warning("cannot delete old events; trying again in an hour", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(3_600))
            }
        }
    }
}

/// Tells the store what the edge's caps let through, twenty times a second,
/// and once more after the edge has stopped (services stop in reverse order).
struct CapReporterService: Service {
    let reporter: CapReporter

    func run() async throws {
        await reporter.run(intervalMilliseconds: 50, now: { Clocks.wallClockMilliseconds() },
                           stopping: { Task.isShuttingDownGracefully })
    }
}

/// Looks at the country database's file every second and hands a new one to
/// the edge, whose workers take it at their next tick: no restart, no pause.
struct CountryDatabaseWatcherService: Service {
    let watcher: CountryDatabaseWatcher

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                watcher.check()
            }
        }
    }
}
