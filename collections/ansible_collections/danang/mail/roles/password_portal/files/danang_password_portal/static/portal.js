// The rules checked as the new password is typed: the candidate goes to /check (same origin, with
// the form's CSRF token), the answer's rule codes fill ul#problems. The server checks again on submit.
"use strict";
(function () {
  var form = document.getElementById("change");
  if (!form) {
    return;
  }
  var fresh = document.getElementById("new-password");
  var confirm = document.getElementById("confirm-password");
  var list = document.getElementById("problems");
  var box = document.getElementById("problems-box");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var sent = 0;
  // Once the form is sent, no check may run or answer: the change ends the session, and a late
  // check's 401 would take the person to the sign-in page instead of the change's result.
  var submitted = false;

  function show(problems) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.setAttribute("data-code", p.code);
      item.textContent = p.text;
      list.appendChild(item);
    });
    box.hidden = problems.length === 0;
  }

  function check() {
    if (submitted) {
      return;
    }
    var number = ++sent;
    fetch("/check", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
      body: JSON.stringify({password: fresh.value, confirm: confirm.value || null})
    }).then(function (response) {
      if (submitted) {
        return null;
      }
      if (response.status === 401) {
        window.location.assign("/");
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (answer && number === sent) {
        show(answer.problems);
      }
    }).catch(function () { /* the server checks again on submit */ });
  }

  function later() {
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(check, 300);
  }

  form.addEventListener("submit", function () {
    submitted = true;
    if (timer) {
      window.clearTimeout(timer);
    }
  });
  fresh.addEventListener("input", later);
  confirm.addEventListener("input", later);
}());
