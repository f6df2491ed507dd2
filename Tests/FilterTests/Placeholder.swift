import XCTest
final class FilterTestsSkeleton: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
