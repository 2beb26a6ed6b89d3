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
 * This release exports the functions below; the rest of the standard set
 * (iWriteCard, iDoDebit,
 * iReadDebitRecord and the _HSM_ steps) is not in it yet.
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

/* pCardType[0] = '1' (a contact CPU card) when a card answers. */
long iGetCardType(unsigned char *pCardType, char *pOutInfo);

/* The reader's serial and the PSAM terminal number (12 digits). Formats [UNSURE]. */
long iGetReaderInfo(char *pReaderSN, char *pPsamTermNo);

#ifdef __cplusplus
}
#endif

#endif
