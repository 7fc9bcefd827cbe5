/** UI strings of the floor screens, same shape as i18n.js: key → [zh-CN, en]. Merged by i18n.js. */
export default {
};
