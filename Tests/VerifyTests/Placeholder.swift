import XCTest
final class VerifyTestsSkeleton: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
