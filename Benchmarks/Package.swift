// swift-tools-version:6.1
//
// Clickline's benchmarks, a package of their own so that the service builds
// without the benchmark plugin and jemalloc. Run from this directory:
//
//     swift package benchmark                       # everything
//     swift package benchmark --target EdgeBenchmarks
//     swift package benchmark baseline check --check-absolute-path Thresholds \
//         --target EdgeBenchmarks --metric mallocCountTotal   # the checked-in limits: no allocation
//
// Thresholds/ was written with `--format metricP90AbsoluteThresholds --path Thresholds`.
//
// Needs Debian's libjemalloc-dev (scripts/bench installs it).

import PackageDescription

let package = Package(
    name: "clickline-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, because a path dependency is otherwise known by its directory name.
        .package(name: "clickline", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // What more than one benchmark needs: seeded random data.
        .target(name: "BenchmarkSupport", path: "Benchmarks/BenchmarkSupport"),
        .executableTarget(
            name: "EdgeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ClickModel", package: "clickline"),
                .product(name: "ClickRing", package: "clickline"),
                .product(name: "Edge", package: "clickline"),
                .product(name: "GeoIP", package: "clickline"),
            ],
            path: "Benchmarks/EdgeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PipelineBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ClickModel", package: "clickline"),
                .product(name: "ClickRing", package: "clickline"),
                .product(name: "Aggregator", package: "clickline"),
                .product(name: "Domain", package: "clickline"),
                .product(name: "Store", package: "clickline"),
                .product(name: "StoreSQLite", package: "clickline"),
                .product(name: "StorePostgres", package: "clickline"),
            ],
            path: "Benchmarks/PipelineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "CatalogueBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ClickModel", package: "clickline"),
                .product(name: "Store", package: "clickline"),
                .product(name: "StoreSQLite", package: "clickline"),
                .product(name: "Domain", package: "clickline"),
                .product(name: "Services", package: "clickline"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/CatalogueBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ConversionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ClickModel", package: "clickline"),
                .product(name: "Store", package: "clickline"),
                .product(name: "StoreSQLite", package: "clickline"),
                .product(name: "Domain", package: "clickline"),
            ],
            path: "Benchmarks/ConversionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReportBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ClickModel", package: "clickline"),
                .product(name: "Domain", package: "clickline"),
                .product(name: "Store", package: "clickline"),
                .product(name: "StoreSQLite", package: "clickline"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/ReportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
