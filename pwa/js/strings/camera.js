/** UI strings of the camera screens, same shape as i18n.js: key → [zh-CN, en]. Merged by i18n.js. */
export default {
  'camera.choose_title': ['照片里有多个条码', 'Several barcodes in the photo'],
  'camera.choose_help': ['点选要扫描的那个条码', 'Tap the barcode you mean'],
  'camera.choose_photo': ['照片，条码已框出并编号', 'The photo, with each barcode outlined and numbered'],
  'camera.unknown_code': ['未知条码', 'Unknown barcode'],
  'camera.cancel': ['取消', 'Cancel'],
  'camera.photo_item': ['照片（待识别）', 'Photo (to be decoded)'],
};
