/** UI strings of the camera screens, same shape as i18n.js: key → [zh-CN, en]. Merged by i18n.js. */
export default {
};
