import XCTest
final class StreamsTestsSkeleton: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
