import XCTest
@testable import Keras

/// The catalogue (keras_catalog_json) against real Keras's constructor signatures and
/// get_config() defaults (Fixtures/layers/catalogue.json, scripts/make_catalogue_fixtures.py),
/// and its custom entries against the registry.
final class LayerCatalogueTests: XCTestCase {
    private func names(_ args: JSON?) -> [String] { (args?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } }

    func testLayerArgumentsFollowKerasConstructorOrderAndDefaults() throws {
        let keras = try XCTUnwrap(loadFixture("layers/catalogue.json")["layers"]?.objectValue)
        let ours = ObjectRegistry.layerCatalogue
        for (className, entry) in keras {
            let args = try XCTUnwrap(ours[className]?["args"]?.arrayValue, className)
            let signature = names(entry["args"])
            let config = entry["config"]?.objectValue ?? []
            let ourNames = args.compactMap { $0["name"]?.stringValue }
            // Every argument is a Keras constructor argument or a get_config key ...
            for n in ourNames {
                XCTAssertTrue(signature.contains(n) || config.contains { $0.0 == n }, "\(className).\(n) is not a Keras argument")
            }
            // ... the constructor's arguments come in the constructor's order ...
            let inSignature = ourNames.filter { signature.contains($0) }
            XCTAssertEqual(inSignature, signature.filter { inSignature.contains($0) }, "\(className) argument order")
            // ... required ones are marked, and defaults are what Keras's get_config() holds.
            for arg in args {
                let n = try XCTUnwrap(arg["name"]?.stringValue)
                let kerasArg = entry["args"]?.arrayValue?.first { $0["name"]?.stringValue == n }
                XCTAssertEqual(arg["required"]?.boolValue ?? false, kerasArg?["required"]?.boolValue ?? false, "\(className).\(n) required")
                guard arg["required"] == nil, className != "InputLayer", let expected = config.first(where: { $0.0 == n })?.1 else { continue }
                XCTAssertEqual(arg["default"], expected, "\(className).\(n) default")
            }
            // Every get_config key is listed.
            for (k, _) in config { XCTAssertTrue(ourNames.contains(k), "\(className): get_config key \(k) missing") }
        }
    }

    func testCallbackArgumentsFollowKeras() throws {
        let keras = try XCTUnwrap(loadFixture("layers/catalogue.json")["callbacks"]?.objectValue)
        let ours = Catalogue.callbacks
        for (className, entry) in keras {
            let args = try XCTUnwrap(ours[className]?["args"], className)
            XCTAssertEqual(names(args), names(entry["args"]).filter { names(args).contains($0) }, "\(className) order")
            for arg in args.arrayValue ?? [] {
                let n = try XCTUnwrap(arg["name"]?.stringValue)
                let kerasArg = try XCTUnwrap(entry["args"]?.arrayValue?.first { $0["name"]?.stringValue == n }, "\(className).\(n)")
                XCTAssertEqual(arg["required"], kerasArg["required"], "\(className).\(n)")
                XCTAssertEqual(arg["default"], kerasArg["default"], "\(className).\(n)")
            }
        }
    }

    func testInitializerArgumentsFollowKerasConstructorOrder() throws {
        let keras = try XCTUnwrap(loadFixture("layers/catalogue.json")["initializers"]?.objectValue)
        let ours = Catalogue.json["initializers"]
        for (className, entry) in keras {
            let args = names(try XCTUnwrap(ours?[className]?["args"], className))
            XCTAssertEqual(args, names(entry["args"]).filter { args.contains($0) }, className)
        }
    }

    func testEveryListedNameResolvesToItsClass() throws {
        let c = Catalogue.json
        for (cls, e) in c["initializers"]?.objectValue ?? [] {
            for n in e["names"]?.arrayValue ?? [] { XCTAssertEqual(try initializer(named: n.stringValue ?? "").className, cls) }
        }
        for (cls, e) in c["regularizers"]?.objectValue ?? [] {
            for n in e["names"]?.arrayValue ?? [] { XCTAssertEqual(try regularizer(named: n.stringValue ?? "").className, cls) }
        }
        for (cls, e) in c["constraints"]?.objectValue ?? [] {
            for n in e["names"]?.arrayValue ?? [] { XCTAssertEqual(try constraint(named: n.stringValue ?? "").className, cls) }
        }
        for (cls, e) in c["metrics"]?.objectValue ?? [] {
            for n in e["names"]?.arrayValue ?? [] { XCTAssertEqual(try Metric.named(n.stringValue ?? "").className, cls) }
        }
        for n in c["activations"]?.arrayValue ?? [] { XCTAssertNoThrow(try ActivationFunction.named(n.stringValue)) }
        XCTAssertEqual(c["layers"]?.objectValue?.count, ObjectRegistry.layerClassNames.count)
    }

    func testCustomObjectsAppearWhereTheyAreVisible() throws {
        let double = ActivationFunction.custom("catalogue_double") { x in x * 2 }
        XCTAssertFalse(Catalogue.json.description.contains("catalogue_double"))
        try CustomObjectScope(["catalogue_double": .activation(double),
                               "Catalogue>Thing": .layer { _ in Dense(1) }]) {
            let c = Catalogue.json
            XCTAssertTrue(c["activations"]?.arrayValue?.contains("catalogue_double") ?? false)
            XCTAssertEqual(c["layers"]?["Thing"]?["registered_name"], "Catalogue>Thing")
            XCTAssertEqual(c["layers"]?["Thing"]?["custom"], true)
        }
        XCTAssertNil(Catalogue.json["layers"]?["Thing"])
    }

    func testAFamilyDoesNotHideAnotherOfTheSameName() throws {
        let double = ActivationFunction.custom("shared_name") { x in x * 2 }
        ObjectRegistry.register("shared_name", .activation(double))
        ObjectRegistry.register("shared_name", .loss { _ in try Loss.named("mse") })
        defer { ObjectRegistry.unregister("shared_name") }
        XCTAssertEqual(try ActivationFunction.named("shared_name").name, "shared_name")
        XCTAssertNotNil(ObjectRegistry.lookupCustom(.loss, "shared_name"))
        try CustomObjectScope(["shared_name": .metric { _ in try Metric.named("mae") }]) {
            XCTAssertEqual(try ActivationFunction.named("shared_name").name, "shared_name")
        }
    }
}
