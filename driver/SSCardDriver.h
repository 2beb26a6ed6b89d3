/*
 * SSCard — libSSCardDriver.so: the Ministry-standard (部标) social-security
 * card reader driver interface, backed by SSCard (the embedded virtual
 * card, a card image, or a card in a PC/SC reader). reader-api.md.
 *
 * Every function returns 0 on success or a negative code (SC-RW Appendix A;
 * a card status word not in the table is -SW1SW2). Output buffers receive
 * NUL-terminated GBK text (UTF-8 with encoding = utf-8), at most 1024
 * bytes: the data on success, the error text on failure. `long` is the
 * platform's (64-bit on LP64 Linux).
 *
 * Configuration: SSCardDriver.ini beside the library, or the file named by
 * SSCARD_DRIVER_CONF; each key overridable by SSCARD_DRIVER_CARD,
 * SSCARD_DRIVER_PSAM, SSCARD_DRIVER_PIN_SOURCE, SSCARD_DRIVER_ENCODING,
 * SSCARD_DRIVER_TERMINAL, SSCARD_DRIVER_DEVICE, SSCARD_DRIVER_MAX_OUTPUT (see the README).
 *
 * The 23 functions of the standard set (the 9 PSAM functions and the 14
 * _HSM_ steps) and iGetCardType and iGetReaderInfo. Calls are serialized
 * (safe from several threads); every function closes the card when it
 * returns, except an _HSM_ Step that another Step follows: the card stays
 * powered for it, and any other call closes it.
 */
#ifndef SSCARD_DRIVER_H
#define SSCARD_DRIVER_H

#ifdef __cplusplus
extern "C" {
#endif

/* iType: 1 contact, 2 contactless, 3 automatic (contact first), 4 automatic (contactless first). */

/* The 11 fields 发卡地区|社会保障号码|卡号|卡识别码|姓名|复位信息|规范版本|发卡日期|有效期|终端机编号|终端设备号| */
long iReadCardBas(int iType, char *pOutInfo);

/* iAuthType 1: the PIN first (the keypad), 2: external authentication with RKSSSE through the PSAM,
 * again in each DF read. pFileAddr: SSSEEF05|06|07|$SSSEEF06|08|09|$DF01EF05|20|21|$ (SSSE, 3F00, MF or
 * DDF1; DF01…DF07; a file without tags is transparent, read whole, as hex). The output echoes it with
 * each tag's value: names as text, an items as ASCII, the rest as hex. -23 for a malformed pFileAddr,
 * -42 for an output over maxoutput. */
long iReadCard(int iType, int iAuthType, char *pCardInfo, char *pFileAddr, char *pOutInfo);

/* The social PIN from the keypad (here: the configured PIN source); pOutInfo empty on success,
 * -51 with the tries left, -52 blocked, -35 an initial PIN that must be changed first. */
long iVerifyPIN(int iType, char *pOutInfo);

/* The old PIN, then the new one twice; -36 for an initial PIN as the new one. */
long iChangePIN(int iType, char *pOutInfo);

/* pCardInfo is 卡识别码|卡号| (-20 malformed, -22 not this card). With the PSAM (-2201 without):
 * iReloadPIN loads a new PIN (asked twice) after external authentication with key 06 (8424 0001);
 * iUnblockPIN resets the try counter and keeps the PIN (8424 0000). */
long iReloadPIN(int iType, char *pCardInfo, char *pOutInfo);
long iUnblockPIN(int iType, char *pCardInfo, char *pOutInfo);

/* pWriteData mirrors pFileAddr with a value in place of each tag (|| an empty one; names in GBK, an items
 * ASCII, the rest and a transparent file's content hex); written after external authentication with
 * UKSSSE (key 04, through the PSAM) in each DF. -23 when pWriteData does not match pFileAddr, -41 for a
 * value its tag cannot hold, -22 for another card. */
long iWriteCard(int iType, char *pCardInfo, char *pFileAddr, char *pWriteData, char *pOutInfo);

/* The medical purse of DF04. pPayInfo: 扣款金额|总金额|YYYYMMDDhhmmss| (yuan; the first is debited, the
 * second logged [UNSURE]). Output [UNSURE fields]:
 * 扣款金额|扣款后余额|脱机交易序号(4 hex)|终端机编号|终端交易序号(8 hex)|交易时间|TAC|MAC2|
 * A lost answer to the debit is settled by GET TRANSACTION PROOF, never by a second debit. */
long iDoDebit(int iType, char *pCardInfo, char *pPayInfo, char *pOutInfo);

/* The purse log's newest record: 脱机交易序号|交易金额|交易类型|终端机编号|交易时间|总金额|
 * (-27267 记录未找到 before the first debit). */
long iReadDebitRecord(int iType, char *pOutInfo);

/* The HSM (加密机) chains, for a reader without a PSAM (the functions above answer -2201): each Step's
 * output goes to the HSM, whose answer is the next Step's pKey (`sscard hsm` is a virtual one).
 *   iReadCardBas_HSM_Step1 → 地区码|ATR历史字节|算法标识|卡识别码|IA过程因子|IA原始信息|EA过程因子|EA原始信息|终端编码|
 *   iReadCardBas_HSM_Step2 pKey <IA cryptogram‖original 32 hex>|<EA 32 hex>| → the iReadCardBas output (-25 IA mismatch)
 *   iReadCard/iWriteCard/iReloadPIN/iUnblockPIN _HSM_Step1 → 算法|密钥地址|过程因子|原始信息|
 *     (004C0A RKSSSE, 009412 UKSSSE, 009010 PUK; the files of one chain lie in one DF; -2204 when none needs a key)
 *   …_Step2 pKey: 32 hex of external authentication data
 *   iReloadPIN/iUnblockPIN_HSM_Step2 → 算法|STK地址|随机数|APDU头|新PIN| (the new PIN from the keypad, in clear)
 *   …_Step3 pKey: the HSM's 8424 data, with or without the APDU header
 *   iDoDebit_HSM_Step1 → 算法|密钥地址|随机数|脱机交易序号|交易金额|交易类型|终端机编号|交易时间|
 *   iDoDebit_HSM_Step2 pKey 0000<脱机交易序号>|<交易时间>|<MAC1>| → the iDoDebit output
 * A Step2/Step3 with no Step1 waiting, or after another call, answers -12. */
long iReadCardBas_HSM_Step1(int iType, char *pOutInfo);
long iReadCardBas_HSM_Step2(char *pKey, char *pOutInfo);
long iReadCard_HSM_Step1(int iType, char *pCardInfo, char *pFileAddr, char *pOutInfo);
long iReadCard_HSM_Step2(char *pKey, char *pOutInfo);
long iWriteCard_HSM_Step1(int iType, char *pCardInfo, char *pFileAddr, char *pOutInfo);
long iWriteCard_HSM_Step2(char *pKey, char *pWriteData, char *pOutInfo);
long iReloadPIN_HSM_Step1(int iType, char *pCardInfo, char *pOutInfo);
long iReloadPIN_HSM_Step2(char *pKey, char *pOutInfo);
long iReloadPIN_HSM_Step3(char *pKey, char *pOutInfo);
long iUnblockPIN_HSM_Step1(int iType, char *pCardInfo, char *pOutInfo);
long iUnblockPIN_HSM_Step2(char *pKey, char *pOutInfo);
long iUnblockPIN_HSM_Step3(char *pKey, char *pOutInfo);
long iDoDebit_HSM_Step1(int iType, char *pCardInfo, char *pPayInfo, char *pOutInfo);
long iDoDebit_HSM_Step2(char *pKey, char *pOutInfo);

/* pCardType[0] = '1' (a contact CPU card) when a card answers. */
long iGetCardType(unsigned char *pCardType, char *pOutInfo);

/* The reader's serial and the PSAM terminal number (12 digits). Formats [UNSURE]. */
long iGetReaderInfo(char *pReaderSN, char *pPsamTermNo);

#ifdef __cplusplus
}
#endif

#endif
