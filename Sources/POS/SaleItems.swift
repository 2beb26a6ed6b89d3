// SSCard — POS
//
// The lines of a sale, as the cashier's system hands them over: a CSV
// (`code,name,class,price,quantity`, a header line optional, fields quoted
// when they hold commas) or JSON (an array of objects with those keys, or
// `{"items": [...]}`). Class is 甲/乙/丙 (or 01/02/03, A/B/C), and may be
// empty for an item the catalogue lists; price in CNY with up to 6
// decimals, quantity with up to 4.

public import BackOffice
import CardStandards

/// One line of a sale.
public struct SaleItem: Hashable, Sendable {
    public var code: String
    public var name: String
    public var itemClass: CatalogueClass?
    public var price: Decimals
    public var quantity: Decimals

    public init(code: String, name: String = "", itemClass: CatalogueClass? = nil, price: Decimals, quantity: Decimals) {
        self.code = code
        self.name = name
        self.itemClass = itemClass
        self.price = price
        self.quantity = quantity
    }

    /// The line's amount, to the fen (as the centre computes it).
    public var amount: Money { FeeLine.amount(price: price, quantity: quantity) }

    /// One line of `amount` (a cashier who enters only the total).
    public static func total(_ amount: Money, code: String, name: String = "") -> SaleItem {
        SaleItem(code: code, name: name, price: Decimals(scaled: amount.fen * 10_000, fraction: 6), quantity: Decimals(scaled: 10_000, fraction: 4))
    }
}

public enum SaleItems {
    /// The most lines a sale may have.
    public static let maximumCount = 500

    /// Parses a CSV or JSON file's bytes (JSON when the first character is `[` or `{`).
    /// - Throws: ``SaleItemsError`` naming the file, the line or item, and the field.
    public static func parse(_ bytes: [UInt8], file: String) throws(SaleItemsError) -> [SaleItem] {
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        let items = first == UInt8(ascii: "[") || first == UInt8(ascii: "{") ? try json(bytes, file: file) : try csv(bytes, file: file)
        guard !items.isEmpty else { throw SaleItemsError("\(file): no sale lines") }
        guard items.count <= maximumCount else { throw SaleItemsError("\(file): \(items.count) lines; a sale has at most \(maximumCount)") }
        return items
    }

    static func item(code: String, name: String, klass: String, price: String, quantity: String, at place: String) throws(SaleItemsError) -> SaleItem {
        guard !code.isEmpty, code.count <= 50 else { throw SaleItemsError("\(place): code: give the catalogue code (1 to 50 characters)") }
        guard name.count <= 100 else { throw SaleItemsError("\(place): name: over 100 characters") }
        var itemClass: CatalogueClass?
        if !klass.isEmpty {
            guard let c = CatalogueClass(text: klass) else { throw SaleItemsError("\(place): class: \"\(klass)\" is not 甲, 乙 or 丙 (01, 02, 03)") }
            itemClass = c
        }
        guard let p = Decimals(price, maxFraction: 6), p.scaled > 0 else {
            throw SaleItemsError("\(place): price: \"\(price)\" is not a price in CNY (up to 6 decimals, more than 0)")
        }
        guard let q = Decimals(quantity, maxFraction: 4), q.scaled > 0 else {
            throw SaleItemsError("\(place): quantity: \"\(quantity)\" is not a quantity (up to 4 decimals, more than 0)")
        }
        let item = SaleItem(code: code, name: name, itemClass: itemClass, price: p, quantity: q)
        guard item.amount < Money(fen: 100_000_000) else { throw SaleItemsError("\(place): the line comes to \(item.amount), over 1,000,000.00") }
        return item
    }

    static func csv(_ bytes: [UInt8], file: String) throws(SaleItemsError) -> [SaleItem] {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var out: [SaleItem] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy(\.isWhitespace) || line.hasPrefix("#") { continue }
            let place = "\(file):\(n + 1)"
            let fields = try split(line, at: place)
            if out.isEmpty && fields.first?.lowercased() == "code" { continue }
            guard fields.count == 5 else {
                throw SaleItemsError("\(place): \(fields.count) fields; a line is code,name,class,price,quantity")
            }
            out.append(try item(code: fields[0], name: fields[1], klass: fields[2], price: fields[3], quantity: fields[4], at: place))
            guard out.count <= maximumCount else { break }
        }
        return out
    }

    /// Splits a CSV line; `"…"` quotes a field, `""` inside it is a quote.
    static func split(_ line: Substring, at place: String) throws(SaleItemsError) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false, wasQuoted = false
        var chars = line.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.allSatisfy(\.isWhitespace) && !wasQuoted {
                field = ""
                quoted = true
                wasQuoted = true
            } else if c == "," {
                fields.append(wasQuoted ? field : field.trimmingWhitespace)
                field = ""
                wasQuoted = false
            } else if !(wasQuoted && c.isWhitespace) {
                field.append(c)
            }
        }
        guard !quoted else { throw SaleItemsError("\(place): a quoted field is not closed") }
        fields.append(wasQuoted ? field : field.trimmingWhitespace)
        return fields
    }

    static func json(_ bytes: [UInt8], file: String) throws(SaleItemsError) -> [SaleItem] {
        let root: JSON
        do {
            root = try JSON.parse(bytes)
        } catch {
            throw SaleItemsError("\(file): \(error.description)")
        }
        guard let list = root.array ?? root["items"]?.array else {
            throw SaleItemsError("\(file): give an array of sale lines, or an object with \"items\"")
        }
        guard list.count <= maximumCount else { throw SaleItemsError("\(file): \(list.count) lines; a sale has at most \(maximumCount)") }
        var out: [SaleItem] = []
        for (i, entry) in list.enumerated() {
            let place = "\(file): items[\(i)]"
            guard entry.isObject else { throw SaleItemsError("\(place): not an object") }
            func field(_ key: String, required: Bool = true) throws(SaleItemsError) -> String {
                guard let v = entry[key] else {
                    if required { throw SaleItemsError("\(place).\(key): missing") }
                    return ""
                }
                if v == .null && !required { return "" }
                guard let t = v.scalarText else { throw SaleItemsError("\(place).\(key): must be a string or a number") }
                return t
            }
            out.append(try item(
                code: try field("code"), name: try field("name", required: false), klass: try field("class", required: false),
                price: try field("price"), quantity: try field("quantity"), at: place))
        }
        return out
    }
}

/// A sale file that cannot be used, named with its place.
public struct SaleItemsError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

