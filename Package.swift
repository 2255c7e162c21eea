// swift-tools-version:6.1
//
// Clickline: the click redirect and attribution service.
//
// Dependencies point one way, downward (see README, "Layout"); the test
// command builds with --explicit-target-dependency-import-check error, so an
// import that is not declared here fails the build.
//
//   level 0  CLibevent  CMaxMindDB  ClickModel  ClickRing        the edge's model and the C shims
//            ClickCaps  Platform
//            GeoIP                                              country lookups in a .mmdb file
//   level 1  Edge                                               the redirects
//            Domain                                             business records, pure rules, storage protocols
//            Wire                                               the JSON the world sees: API bodies, events' data
//   level 2  Aggregator                                         the click pipeline
//            Store                                              the SQL written once, over SQLDatabase
//            Services                                           use cases, over the narrow storage protocols
//   level 3  StoreSQLite  StorePostgres  Mail  EventsOut        drivers (EventsOut: webhooks over HTTP)
//            Ops                                                live figures and the Prometheus export
//            APIDocument                                        the OpenAPI description
//   level 4  API                                                the JSON API: routes, bodies, authentication
//   level 5  Pages                                              the brand console and the Partner Center (HTML)
//   level 6  ClicklineApp, clickline                            wiring, the command line
//
// Benchmarks/ is a package of its own, so the service builds without the
// benchmark plugin and jemalloc.

import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "clickline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "clickline", targets: ["clickline"]),
        .library(name: "ClickModel", targets: ["ClickModel"]),
        .library(name: "ClickRing", targets: ["ClickRing"]),
        .library(name: "ClickCaps", targets: ["ClickCaps"]),
        .library(name: "GeoIP", targets: ["GeoIP"]),
        .library(name: "Edge", targets: ["Edge"]),
        .library(name: "Domain", targets: ["Domain"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "StoreSQLite", targets: ["StoreSQLite"]),
        .library(name: "StorePostgres", targets: ["StorePostgres"]),
        .library(name: "Aggregator", targets: ["Aggregator"]),
        .library(name: "Services", targets: ["Services"]),
        .library(name: "Mail", targets: ["Mail"]),
        .library(name: "ClicklineApp", targets: ["ClicklineApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
    ],
    targets: [
        // MARK: level 0
        .systemLibrary(
            name: "CLibevent",
            pkgConfig: "libevent_core",
            providers: [.apt(["libevent-dev"])]
        ),
        .systemLibrary(
            name: "CMaxMindDB",
            pkgConfig: "libmaxminddb",
            providers: [.apt(["libmaxminddb-dev"])]
        ),
        .target(name: "ClickModel", swiftSettings: strict),
        .target(
            name: "GeoIP",
            dependencies: ["CMaxMindDB", "ClickModel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "Platform", swiftSettings: strict),
        .target(
            name: "ClickRing",
            dependencies: ["ClickModel", .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: strict
        ),

        // The counters of capped links, shared by the edge's workers.
        .target(name: "ClickCaps", dependencies: [.product(name: "Atomics", package: "swift-atomics")], swiftSettings: strict),

        // MARK: level 1
        .target(
            name: "Edge",
            dependencies: [
                "CLibevent", "ClickCaps", "ClickModel", "ClickRing", "GeoIP", "Platform",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Domain", dependencies: ["ClickModel"], swiftSettings: strict),
        .target(name: "Wire", dependencies: ["ClickModel", "Domain"], swiftSettings: strict),

        // MARK: level 2
        .target(
            name: "Aggregator",
            dependencies: [
                "ClickCaps", "ClickModel", "ClickRing", "Domain", "Platform",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Store", dependencies: ["ClickModel", "Domain", "Platform", "Wire"], swiftSettings: strict),
        .target(
            name: "Services",
            dependencies: [
                "ClickModel", "Domain", "Platform",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict
        ),

        // MARK: level 3
        .target(
            name: "StoreSQLite",
            dependencies: [
                "ClickModel", "Domain", "Store",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StorePostgres",
            dependencies: [
                "ClickModel", "Domain", "Store", "Platform",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Mail",
            dependencies: [
                "Domain",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "EventsOut",
            dependencies: [
                "ClickModel", "Domain", "Wire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "Ops",
            dependencies: ["Aggregator", "ClickModel", "Edge", .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: strict
        ),
        .target(name: "APIDocument", dependencies: ["Domain"], swiftSettings: strict),

        // MARK: level 4
        .target(
            name: "API",
            dependencies: [
                "APIDocument", "ClickModel", "Domain", "EventsOut", "Ops", "Services", "Store", "Wire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // MARK: level 5
        // The brand console, the Partner Center and the member page: HTML
        // from Mustache templates kept as files in Templates/, and the few
        // static files in Assets/, all served by the binary.
        .target(
            name: "Pages",
            dependencies: [
                "API", "ClickModel", "Domain", "EventsOut", "Ops", "Services", "Store", "Wire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Templates"), .copy("Assets")],
            swiftSettings: strict
        ),

        // MARK: level 6
        .target(
            name: "ClicklineApp",
            dependencies: [
                "ClickCaps", "ClickModel", "Domain", "GeoIP", "Store", "StoreSQLite", "StorePostgres", "Edge", "Aggregator", "Services", "Ops", "API", "Pages", "Mail",
                "EventsOut", "Platform",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "clickline",
            dependencies: [
                "Aggregator", "ClickModel", "ClicklineApp", "Domain", "Store", "Services", "Wire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),

        // MARK: tests
        .testTarget(name: "ClickModelTests", dependencies: ["ClickModel"], swiftSettings: strict),
        .testTarget(name: "ClickRingTests", dependencies: ["ClickRing"], swiftSettings: strict),
        .testTarget(name: "ClickCapsTests", dependencies: ["ClickCaps"], swiftSettings: strict),
        .testTarget(name: "GeoIPTests", dependencies: ["GeoIP", "ClickModel", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strict),
        .testTarget(
            name: "EdgeTests",
            dependencies: ["Edge", "ClickCaps", "ClickModel", "ClickRing", "GeoIP", .product(name: "Logging", package: "swift-log")],
            exclude: ["Conformance"],  // llhttp's cases, read by path
            swiftSettings: strict),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "ClickModel"], swiftSettings: strict),
        .testTarget(name: "ServicesTests", dependencies: ["Services", "Domain", "ClickModel"], swiftSettings: strict),
        .testTarget(
            name: "AggregatorTests",
            dependencies: [
                "Aggregator", "ClickCaps", "ClickModel", "ClickRing", "Domain", "Platform",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StoreSQLiteTests",
            dependencies: ["StoreSQLite", "Store", "Domain", "ClickModel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // Fresh stores of the kind under test, and the PostgreSQL test server, for the suites that need a store.
        .target(name: "StoreTesting", dependencies: ["Domain", "Store", "StoreSQLite", "StorePostgres"], path: "Tests/StoreTesting",
                swiftSettings: strict),
        .testTarget(
            name: "StoreContractTests",
            dependencies: ["Domain", "Store", "StoreSQLite", "StorePostgres", "StoreTesting", "ClickModel",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(name: "MailTests", dependencies: ["Mail", "Domain"],
                    exclude: ["Servers"],  // the SMTP servers with TLS and AUTH that the tests start
                    swiftSettings: strict),
        .testTarget(name: "EventsOutTests", dependencies: ["EventsOut", "Domain", "ClickModel"], swiftSettings: strict),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Domain", "Services", "Store", "StoreTesting", "ClickModel", "Wire",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures"],  // read by path, as a client would send them
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClicklineAppTests",
            dependencies: [
                "ClicklineApp", "API", "ClickModel", "Domain", "Mail", "Ops", "Services", "Store", "StoreTesting", "clickline",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Python"],  // the scripts the browser and webhook tests run
            swiftSettings: strict
        ),
    ]
)
