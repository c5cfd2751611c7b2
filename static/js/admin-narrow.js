// Below 1024 px the back office's navigation sidebar, open by default, left a list about
// 160 px and a search box too narrow to type in (probe 71, a tablet at 768 px): there it
// starts closed. Django's nav_sidebar.js reads this choice (deferred, so after this file);
// the « button still opens it, and Django remembers what the person chose.
if (window.innerWidth < 1024 && localStorage.getItem("django.admin.navSidebarIsOpen") === null) {
  localStorage.setItem("django.admin.navSidebarIsOpen", "false");
}
