import XCTest
final class EvalTestsSkeleton: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
