// SSCard — CardStandards
//
// A PAN as receipts and screens print it: the first six digits (the BIN)
// and the last four, the rest starred.

public enum PANFormat {
    /// `621700*********0955`; a PAN of ten digits or fewer is printed as it
    /// is. The same mask serves an ID number on a receipt (`510100********2749`).
    public static func masked(_ pan: String) -> String {
        guard pan.count > 10 else { return pan }
        return String(pan.prefix(6)) + String(repeating: "*", count: pan.count - 10) + String(pan.suffix(4))
    }
}
