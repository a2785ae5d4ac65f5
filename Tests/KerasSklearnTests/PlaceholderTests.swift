import XCTest
@testable import KerasSklearn

final class KerasSklearnModuleTests: XCTestCase {
    func testModuleReexportsKeras() {
        XCTAssertFalse(Keras.version.isEmpty)
    }
}
