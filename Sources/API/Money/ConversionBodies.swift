import ClickModel
import Domain
import Foundation

/// The fields of a Shopify order that attribution needs; the rest is ignored.
struct ShopifyOrder: Decodable {
    struct Code: Decodable { var code: String? }
    struct Attribute: Decodable {
        var name: String?
        var value: String?
    }
    struct MoneySet: Decodable {
        struct Amount: Decodable {
            var amount: String
            var currency_code: String?
        }
        var shop_money: Amount?
    }

    var id: OrderID
    var test: Bool?
    var currency: String?
    var discount_codes: [Code]?
    var landing_site: String?
    /// Where the shopper came from (`http://www.example.com/...`); absent or null on many orders.
    var referring_site: String?
    var note_attributes: [Attribute]?
    var current_subtotal_price_set: MoneySet?
    var subtotal_price: String?
    /// The customer's email: the order's own, else its customer's; either may be absent.
    var email: String?
    struct CustomerBody: Decodable { var email: String? }
    var customer: CustomerBody?

    /// Shopify sends order ids as JSON numbers; some tools send strings.
    struct OrderID: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                text = String(number)
            } else {
                text = try container.decode(String.self)
            }
        }
    }

    /// The sale amount: after discounts, before tax and shipping.
    var saleAmount: (amount: String, currency: String?)? {
        if let money = current_subtotal_price_set?.shop_money { return (money.amount, money.currency_code ?? currency) }
        if let subtotal = subtotal_price { return (subtotal, currency) }
        return nil
    }

    /// A click id in the landing site's query (`clk=`), else in the note attributes.
    var clickID: String? {
        if let landing = landing_site, let query = URLComponents(string: landing)?.queryItems,
           let value = query.first(where: { $0.name == "clk" })?.value, !value.isEmpty {
            return value
        }
        return note_attributes?.first { $0.name == "clk" }?.value.flatMap { $0.isEmpty ? nil : $0 }
    }

    var codes: [String] { (discount_codes ?? []).compactMap(\.code).filter { !$0.isEmpty } }
}
